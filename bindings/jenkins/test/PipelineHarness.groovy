import groovy.json.JsonSlurperClassic

import java.nio.file.Files

/**
 * A small stand-in for Jenkins, in the manner of JenkinsPipelineUnit: loads a vars/ step as a
 * script object and gives it the pipeline steps it uses as closures in its binding.
 *
 * `sh` really runs `bash -c` in the workspace (the working directory) with the real CLI first
 * on PATH as `ehdeploy`; `error` throws a PipelineError; `echo` records lines.
 */
class PipelineHarness {
    final File libraryRoot
    final File workspace
    final File cli
    final File binDir
    final List<String> echoed = []
    final List<String> errors = []
    final List<String> commands = []
    /** The build's environment, bound as `env`. */
    final Map<String, String> env = [:]
    /** The user who started the build (`currentBuild.getBuildCauses`), or null: no `currentBuild` bound. */
    String buildUser = null

    PipelineHarness(File libraryRoot, File workspace, File cli) {
        this.libraryRoot = libraryRoot
        this.workspace = workspace
        this.cli = cli
        binDir = Files.createTempDirectory('ehdeploy-bin').toFile()
        binDir.deleteOnExit()
        File link = new File(binDir, 'ehdeploy')
        Files.createSymbolicLink(link.toPath(), cli.absoluteFile.toPath())
        link.deleteOnExit()
    }

    /** Forget what the steps echoed, failed with and ran. */
    void reset() {
        echoed.clear()
        errors.clear()
        commands.clear()
    }

    /** The step `vars/<name>.groovy` as a script object with the pipeline steps bound. */
    Script load(String name) {
        Binding binding = new Binding()
        Map steps = [
            sh             : this.&sh,
            readJSON       : this.&readJSON,
            writeFile      : this.&writeFile,
            readFile       : this.&readFile,
            fileExists     : this.&fileExists,
            libraryResource: this.&libraryResource,
            echo           : this.&echo,
            error          : this.&error,
        ]
        steps.each { stepName, step -> binding.setVariable(stepName, step) }
        binding.setVariable('env', env)
        if (buildUser != null) {
            binding.setVariable('currentBuild', new FakeBuild(buildUser))
        }
        GroovyShell shell = new GroovyShell(getClass().classLoader, binding)
        return shell.parse(new File(libraryRoot, "vars/${name}.groovy"))
    }

    /** Run the step `name` with `config`, as a pipeline's `name(config)` does. */
    def run(String name, Map config) {
        return load(name).invokeMethod('call', [config] as Object[])
    }

    // ---- the pipeline steps -----------------------------------------------------------

    def sh(args) {
        Map options = args instanceof Map ? (Map) args : [script: args]
        String command = options.script as String
        commands << command
        ProcessBuilder builder = new ProcessBuilder('bash', '-c', command).directory(workspace)
        builder.environment().put('PATH', "${binDir.absolutePath}:${System.getenv('PATH')}".toString())
        Process process = builder.start()
        ByteArrayOutputStream stdout = new ByteArrayOutputStream()
        ByteArrayOutputStream stderr = new ByteArrayOutputStream()
        process.waitForProcessOutput(stdout, stderr)
        int status = process.exitValue()
        if (options.returnStatus) {
            return status
        }
        if (status != 0) {
            throw new PipelineError("script returned exit code ${status}: ${stderr.toString('UTF-8')}")
        }
        return options.returnStdout ? stdout.toString('UTF-8') : null
    }

    /** readJSON(file:|text:) with `returnPojo: true` semantics: plain maps and lists. */
    def readJSON(Map args) {
        String text = args.text != null ? args.text : file(args.file).getText('UTF-8')
        return new JsonSlurperClassic().parseText(text)
    }

    void writeFile(Map args) {
        File target = file(args.file)
        target.parentFile?.mkdirs()
        target.setText(args.text as String, (args.encoding ?: 'UTF-8') as String)
    }

    String readFile(args) {
        Map options = args instanceof Map ? (Map) args : [file: args]
        return file(options.file).getText((options.encoding ?: 'UTF-8') as String)
    }

    boolean fileExists(args) {
        return file(args instanceof Map ? args.file : args).exists()
    }

    String libraryResource(String path) {
        return new File(libraryRoot, "resources/${path}").getText('UTF-8')
    }

    void echo(message) {
        echoed.addAll(message.toString().readLines())
    }

    void error(message) {
        errors << message.toString()
        throw new PipelineError(message.toString())
    }

    private File file(path) {
        File f = new File(path.toString())
        return f.absolute ? f : new File(workspace, path.toString())
    }
}

/** `currentBuild` as far as the steps use it: the causes of a build a user started. */
class FakeBuild {
    final String userId

    FakeBuild(String userId) {
        this.userId = userId
    }

    /** Like RunWrapper.getBuildCauses(String): the causes of that class, as maps. */
    List getBuildCauses(String className) {
        if (className != 'hudson.model.Cause$UserIdCause') {
            return []
        }
        return [[_class: className, shortDescription: "Started by user ${userId}".toString(), userId: userId, userName: userId]]
    }
}
