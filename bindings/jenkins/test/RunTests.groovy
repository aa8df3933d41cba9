// Every test of the Jenkins library in one JVM: EhDeploy against the real libehdeploy, then the
// steps (vars/) through PipelineHarness with the real CLI. Run from the repo root by
// run-tests.sh; exits 1 when a test fails.
import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference
import groovy.json.JsonSlurperClassic
import org.ehdeploy.EhDeploy

import java.nio.file.Files
import java.security.MessageDigest

File root = new File('.').canonicalFile
File library = new File(root, 'bindings/jenkins')
File cli = new File(System.getenv('EHDEPLOY_CLI') ?: 'target/debug/ehdeploy').absoluteFile
File scratch = Files.createTempDirectory('ehdeploy-jenkins-tests').toFile()
assert cli.canExecute(): "no CLI at ${cli} (set EHDEPLOY_CLI)"

int passed = 0
int failed = 0
def test = { String name, Closure body ->
    try {
        body()
        passed++
        println "ok    ${name}"
    } catch (Throwable t) {
        failed++
        println "FAIL  ${name}\n      ${t.toString().readLines().take(30).join('\n      ')}"
    }
}

def parse = { String json -> EhDeploy.parse(json) }
def answerText = { String name ->
    String text = new File(root, "tests/parity/answers/${name}.json").getText('UTF-8')
    assert text.endsWith('\n')
    text.substring(0, text.length() - 1)
}
/** Where two texts first differ, for a readable failure. */
def firstDifference = { String a, String b ->
    int i = 0
    while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
        i++
    }
    "lengths ${a.length()} and ${b.length()}, first difference at ${i}: " +
        "«${a.substring(i, Math.min(a.length(), i + 40))}» vs «${b.substring(i, Math.min(b.length(), i + 40))}»"
}
/** A digest of every file under `dir`, to see that nothing changed on disk. */
def treeDigest = { File dir ->
    MessageDigest digest = MessageDigest.getInstance('SHA-256')
    List<File> files = []
    dir.eachFileRecurse { if (it.isFile()) files << it }
    files.sort { it.path }.each { digest.update(it.path.bytes); digest.update(it.bytes) }
    digest.digest().encodeHex().toString()
}

/** Copy the directory tree `from` to `to`. */
def copyTree = { File from, File to ->
    from.eachFileRecurse { File f ->
        File target = new File(to, from.toPath().relativize(f.toPath()).toString())
        if (f.isDirectory()) {
            target.mkdirs()
        } else {
            target.parentFile.mkdirs()
            target.bytes = f.bytes
        }
    }
}

/** Whether `value` holds only maps, lists, strings, numbers, booleans and null (CPS-safe). */
def plain
plain = { value ->
    if (value instanceof Map) {
        return value.getClass() in [HashMap, LinkedHashMap] && value.every { k, v -> k instanceof String && plain(v) }
    }
    if (value instanceof List) {
        return value.getClass() == ArrayList && value.every { plain(it) }
    }
    return value == null || value instanceof String || value instanceof Number || value instanceof Boolean
}

// ---- EhDeploy: the C ABI through JNA -------------------------------------------------------

EhDeploy ehd = new EhDeploy()
List questions = new JsonSlurperClassic().parseText(new File(root, 'tests/parity/questions.json').getText('UTF-8')) as List

test('version() is the version operation\'s version') {
    Map answer = ehd.call('version', [:])
    assert ehd.version() == answer.version
    assert 'check' in answer.operations
}

test('check examples/platform: 0 errors, 3 warnings') {
    Map report = ehd.call('check', [platformDir: 'examples/platform', processEnv: false])
    assert report.summary.errors == 0
    assert report.summary.warnings == 3
    assert plain(report)
}

questions.each { Map q ->
    test("parity: ${q.name} byte for byte") {
        String got = ehd.callJson(q.op as String, q.request as String)
        String expected = answerText(q.name as String)
        assert got == expected: firstDifference(got, expected)
    }
}

test('test/parity.groovy writes every answer as the CLI prints it') {
    File out = new File(scratch, 'parity')
    new GroovyShell(getClass().classLoader).run(new File(library, 'test/parity.groovy'),
                                                ['tests/parity/questions.json', out.path] as String[])
    questions.each { Map q ->
        assert new File(out, "${q.name}.json").bytes == new File(root, "tests/parity/answers/${q.name}.json").bytes: q.name
    }
}

test('error: unknown operation') {
    assert ehd.call('promote', [:]).error.code == 'unknown-operation'
}

test('error: invalid JSON') {
    Map answer = parse(ehd.callJson('check', '{"platformDir": '))
    assert answer.error.code == 'invalid-request'
}

test('error: unknown field') {
    Map answer = ehd.call('check', [platformDir: 'examples/platform', platfromDir: 'x'])
    assert answer.error.code == 'invalid-request'
    assert answer.error.message.contains('platfromDir')
}

test('error: a panic is an answer and the JVM goes on (its message on stderr is expected)') {
    Map answer = ehd.call('debug_panic', [message: 'x'])
    assert answer.error.code == 'panic'
    assert ehd.version() == ehd.call('version', [:]).version
}

test('raw JNA: a NULL op is EHD_NULL_ARGUMENT with an invalid-argument answer') {
    def lib = ehd.library()
    PointerByReference out = new PointerByReference()
    int status = lib.ehd_call(null, '{}', out)
    Pointer answer = out.value
    assert answer != null
    try {
        assert status == 6
        assert lib.ehd_status_name(status) == 'EHD_NULL_ARGUMENT'
        assert parse(answer.getString(0, 'UTF-8')).error.code == 'invalid-argument'
    } finally {
        lib.ehd_string_free(answer)
    }
}

test('8 threads checking at once get the same answer') {
    String expected = ehd.callJson('check', '{"platformDir":"examples/platform","processEnv":false}')
    List<String> answers = Collections.synchronizedList([])
    List<Thread> threads = (1..8).collect {
        Thread.start {
            answers << new EhDeploy().callJson('check', '{"platformDir":"examples/platform","processEnv":false}')
        }
    }
    threads*.join()
    assert answers.size() == 8
    assert answers.every { it == expected }
}

test('EhDeploy survives serialisation (Jenkins CPS)') {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream()
    new ObjectOutputStream(bytes).withStream { it.writeObject(new EhDeploy(root.path + '/target/fault/debug')) }
    ObjectInputStream input = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())) {
        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) {
            Class.forName(desc.name, false, EhDeploy.classLoader)
        }
    }
    EhDeploy copy = input.readObject() as EhDeploy
    assert copy.version() == ehd.version()
}

// ---- the steps, through the harness and the real CLI ---------------------------------------

PipelineHarness jenkins = new PipelineHarness(library, root, cli)
String tmp = new File(scratch, 'work').path
/** Run a step with its scratch files outside the repo; the result, or the PipelineError. */
def step = { String name, Map config ->
    jenkins.reset()
    try {
        return jenkins.run(name, [tmpDir: tmp] + config)
    } catch (PipelineError e) {
        return e
    }
}
def bothWays = { String name, Map config ->
    [cli: step(name, config), native: step(name, config + [native: true])]
}

test('ehdeployCheck: the same Map through the CLI and native, the parity answer') {
    Map results = bothWays('ehdeployCheck', [platformDir: 'examples/platform', processEnv: false])
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    assert results.cli == parse(answerText('check-example'))
    assert jenkins.echoed[0] == 'ehdeploy: 0 errors, 3 warnings in 45 files'
    assert jenkins.echoed.any { it.startsWith('warning schema/unknown-key examples/platform/envs/inttest.yaml:134:5 ') }
}

test('ehdeployCheck: failOn warning fails the build') {
    def result = step('ehdeployCheck', [platformDir: 'examples/platform', processEnv: false, failOn: 'warning'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeploy: 0 errors, 3 warnings in 45 files')
}

[false, true].each { boolean nativeCall ->
    String way = nativeCall ? 'native' : 'CLI'
    test("ehdeployValidate (${way}): planted errors fail the build") {
        def result = step('ehdeployValidate', [files: 'tests/parity/planted/envs/test.yaml',
                                               platform: 'tests/parity/planted/platform.yaml',
                                               processEnv: false, native: nativeCall])
        assert result instanceof PipelineError
        assert result.message.contains('21 errors')
        assert jenkins.echoed.any { it.startsWith('error image/tag-latest tests/parity/planted/envs/test.yaml:26:17 ') }
    }
}

test('ehdeployValidate: failOnError false returns the result') {
    Map config = [files: ['tests/parity/planted/envs/test.yaml'], platform: 'tests/parity/planted/platform.yaml',
                  processEnv: false, failOnError: false]
    Map results = bothWays('ehdeployValidate', config)
    assert results.cli == results.native
    assert results.cli == parse(answerText('validate-planted-test'))
    assert jenkins.errors.isEmpty()
}

test('ehdeployValidate: vars and env reach the request') {
    Map results = bothWays('ehdeployValidate', [files: ['examples/platform/envs/prod.yaml'],
                                                platform: 'examples/platform/platform.yaml',
                                                env: 'prod', processEnv: false])
    assert results.cli == results.native
    assert results.cli == parse(answerText('validate-example-prod'))
}

test('ehdeployPlan: promotion exttest -> preprod changes one app, both ways') {
    Map results = bothWays('ehdeployPlan', [platform: 'examples/platform', from: 'exttest', to: 'preprod', processEnv: false])
    assert results.cli.plan.summary.change == 1
    assert results.cli == results.native
    assert results.cli == parse(answerText('promotion-plan-exttest-preprod'))
    assert jenkins.echoed[0].startsWith('ehdeploy plan: 0 create, 1 change, 0 remove, 7 noop')
}

test('ehdeployPlan: old and new files, both ways') {
    Map results = bothWays('ehdeployPlan', [old: 'examples/platform/envs/prod.yaml', new: 'examples/platform/envs/preprod.yaml',
                                            platform: 'examples/platform/platform.yaml', env: 'prod', processEnv: false])
    assert results.cli == results.native
    assert results.cli == parse(answerText('plan-preprod-to-prod-files'))
}

test('ehdeployPromote without write: says what changes, changes nothing') {
    String before = treeDigest(new File(root, 'examples/platform'))
    Map results = bothWays('ehdeployPromote', [platform: 'examples/platform', from: 'exttest', to: 'preprod', processEnv: false])
    assert results.cli == results.native
    assert results.cli.files.size() >= 1
    assert results.cli.written == false
    assert results.cli == parse(answerText('promote-spec-exttest-preprod'))
    assert treeDigest(new File(root, 'examples/platform')) == before
    assert jenkins.echoed[0] == 'ehdeploy promote: 1 file(s) would change: examples/platform/values/patient-portal/preprod.yaml'
}

test('ehdeployPromote with write: writes the same files both ways') {
    Map copies = [cli: new File(scratch, 'cli-platform'), native: new File(scratch, 'native-platform')]
    Map results = [:]
    copies.each { String way, File copy ->
        copyTree(new File(root, 'examples/platform'), copy)
        results[way] = step('ehdeployPromote', [platform: copy.path, from: 'exttest', to: 'preprod', processEnv: false,
                                                write: true, native: way == 'native'])
        assert results[way] instanceof Map: results[way]
        assert results[way].written == true
        assert jenkins.echoed[0].startsWith('ehdeploy promote: 1 file(s) written: ')
    }
    String changed = 'values/patient-portal/preprod.yaml'
    String after = new File(copies.cli, changed).getText('UTF-8')
    assert after != new File(root, "examples/platform/${changed}").getText('UTF-8')
    assert after == new File(copies.native, changed).getText('UTF-8')
    assert after == results.cli.files[0].after
}

['ehdeployPlan', 'ehdeployPromote'].each { String name ->
    test("${name}: an unknown environment fails the build with [usage], both ways") {
        Map results = bothWays(name, [platform: 'examples/platform', from: 'preprod', to: 'staging', processEnv: false])
        results.each { way, result ->
            assert result instanceof PipelineError: way
            assert result.message.contains('[usage]'): way
            assert result.message.contains('environment `staging` is not in the platform file'): way
        }
    }
}

test('sarif and junit: rendered by the CLI into the files asked for') {
    File sarif = new File(scratch, 'check.sarif')
    File junit = new File(scratch, 'check.xml')
    def result = step('ehdeployCheck', [platformDir: 'examples/platform', processEnv: false, native: true,
                                        sarif: sarif.path, junit: junit.path])
    assert result instanceof Map
    assert parse(sarif.getText('UTF-8')).version == '2.1.0'
    assert junit.getText('UTF-8').contains('<testsuite')
}

test('sarif of validate with vars, env and a quote in the file name') {
    File sarif = new File(scratch, "it's validate.sarif")
    def result = step('ehdeployValidate', [files: ['tests/parity/planted/envs/test.yaml'],
                                           platform: 'tests/parity/planted/platform.yaml', env: 'test',
                                           vars: [A: "it's"], processEnv: false, sarif: sarif.path])
    assert result instanceof PipelineError   // the findings still fail the build
    Map log = parse(sarif.getText('UTF-8'))
    assert log.runs[0].results.size() == 23
}

test('an unknown parameter fails the build') {
    def result = step('ehdeployCheck', [platfromDir: 'examples/platform'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployCheck: unknown parameter(s) platfromDir')
}

test('a missing required parameter fails the build') {
    def result = step('ehdeployPromote', [platform: 'examples/platform', from: 'exttest'])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployPromote: `to` is required'
}

test('ehdeployPlan: files and environments at once fail the build') {
    def result = step('ehdeployPlan', [old: 'a.yaml', new: 'b.yaml', platform: 'examples/platform', from: 'exttest', to: 'preprod'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployPlan: give either')
}

test('a missing CLI fails the build with its exit status') {
    def result = step('ehdeployCheck', [platformDir: 'examples/platform', cli: 'no-such-ehdeploy'])
    assert result instanceof PipelineError
    assert result.message == 'ehdeploy check failed: `no-such-ehdeploy call` exited with status 127 and no answer'
}

test('the CLI path leaves no scratch files behind') {
    assert !new File(tmp).list()
}

scratch.deleteDir()
println "${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
