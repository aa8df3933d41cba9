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

test('check examples/platform: 0 errors, 4 warnings') {
    Map report = ehd.call('check', [platformDir: 'examples/platform', processEnv: false])
    assert report.summary.errors == 0
    assert report.summary.warnings == 4
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
    assert jenkins.echoed[0] == 'ehdeploy: 0 errors, 4 warnings in 45 files'
    assert jenkins.echoed.any { it.startsWith('warning schema/unknown-key examples/platform/envs/inttest.yaml:134:5 ') }
}

test('ehdeployCheck: failOn warning fails the build') {
    def result = step('ehdeployCheck', [platformDir: 'examples/platform', processEnv: false, failOn: 'warning'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeploy: 0 errors, 4 warnings in 45 files')
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

// ---- ehdeployRelease: a candidate through examples/platform's pipeline ---------------------
// Each way has its own copy of the platform (the log, promotions/<candidate>.jsonl, is written
// there); the same events at the same times give the same answers, bar the log's path.

Map releaseCopies = [cli: new File(scratch, 'release-cli'), native: new File(scratch, 'release-native')]
releaseCopies.each { String way, File copy ->
    copyTree(new File(root, 'examples/platform'), copy)
    new File(copy, 'promotions').deleteDir()   // the example's own logs: start afresh
}
String candidate = '2026.11.30-1'
Map supplier = [name: 'alice', roles: ['supplier-release-manager']]
Map testPromoter = [name: 'bob', roles: ['test-promoter']]
/** ehdeployRelease on each way's copy: [cli: result, native: result] (the harness keeps the native run's echoes). */
def releaseBoth = { Map config ->
    Map results = [:]
    releaseCopies.each { String way, File copy ->
        results[way] = step('ehdeployRelease', [platform: copy.path, candidate: candidate, processEnv: false,
                                               native: way == 'native'] + config)
    }
    results
}
/** Both results are plain Maps, equal but for the log's path. */
def sameBothWays = { Map results ->
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert plain(results.cli) && plain(results.native)
    assert results.cli.findAll { it.key != 'log' } == results.native.findAll { it.key != 'log' }
}
def inttestArtifacts = {
    ehd.call('release_artifacts', [platform: releaseCopies.cli.path, environment: 'inttest', processEnv: false]).artifacts
}
def logFile = { String way -> new File(releaseCopies[way] as File, "promotions/${candidate}.jsonl") }
String releaseHead = null

test('ehdeployRelease artifacts: what inttest\'s spec carries, both ways') {
    Map results = releaseBoth(action: 'artifacts', environment: 'inttest')
    sameBothWays(results)
    assert results.cli == [artifacts: inttestArtifacts()]
    assert results.cli.artifacts.size() == 8
    assert jenkins.echoed[0] == 'ehdeploy release: 8 app(s) in inttest'
    assert jenkins.echoed.contains('  referrals ehealth/ehealth-service 2.4.0 registry.ehealth.example/carebridge/referrals')
}

test('ehdeployRelease event: candidate-created, with the first environment\'s artifacts, both ways') {
    Map results = releaseBoth(action: 'event', actor: supplier, at: '2026-11-24T09:00:00Z',
                              event: [type: 'candidate-created', revision: 'abc123'])
    sameBothWays(results)
    assert results.cli.decision == [outcome: 'accepted']
    assert results.cli.entry.event == [type: 'candidate-created', candidate: candidate, revision: 'abc123',
                                       artifacts: inttestArtifacts()]
    assert results.cli.log == logFile('cli').path
    assert results.native.log == logFile('native').path
    assert jenkins.echoed == ['ehdeploy release: candidate-created accepted']
}

test('ehdeployRelease event: deployed to inttest by the build\'s user, artifacts filled, both ways') {
    jenkins.buildUser = 'carol'
    Map results
    try {
        results = releaseBoth(action: 'event', actor: [roles: ['supplier-release-manager']], at: '2026-11-24T09:30:00Z',
                              event: [type: 'deployed', environment: 'inttest'])
    } finally {
        jenkins.buildUser = null
    }
    sameBothWays(results)
    assert results.cli.decision.outcome == 'accepted'
    assert results.cli.entry.actor == [name: 'carol', roles: ['supplier-release-manager']]
    assert results.cli.entry.event.artifacts == inttestArtifacts()
    assert results.cli.status.environments[0].place == 'deployed'
}

test('ehdeployRelease event: evidence with a GString note, the actor a name, both ways') {
    int run = 42
    Map results = releaseBoth(action: 'event', actor: 'dave', at: '2026-11-24T10:00:00Z',
                              event: [type: 'evidence', environment: 'inttest', kind: 'signatures-verified', ok: true,
                                      note: "verification run ${run}"])
    sameBothWays(results)
    assert results.cli.decision.outcome == 'accepted'
    assert results.cli.entry.actor == [name: 'dave', roles: []]
    assert results.cli.entry.event.note == 'verification run 42'
}

test('ehdeployRelease event: a promotion into exttest without the evidence fails the build, both ways') {
    Map results = releaseBoth(action: 'event', actor: testPromoter, at: '2026-11-24T11:00:00Z',
                              event: [type: 'promoted', to: 'exttest'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy release: promoted refused: '): way
        assert result.message.contains('[gate/missing-evidence] missing deployed-healthy in inttest'): way
    }
    assert results.cli.message == results.native.message
    assert jenkins.echoed[0] == 'ehdeploy release: promoted refused'
    assert jenkins.echoed.contains('  [gate/missing-evidence] missing qa-approved in inttest')
}

test('ehdeployRelease event: failOnRefusal false returns the refusal, both ways') {
    Map results = releaseBoth(action: 'event', actor: testPromoter, at: '2026-11-24T11:30:00Z', failOnRefusal: false,
                              event: [type: 'promoted', to: 'exttest'])
    sameBothWays(results)
    assert results.cli.decision.outcome == 'refused'
    assert 'gate/missing-evidence' in results.cli.decision.reasons*.code
    assert !('gate/role' in results.cli.decision.reasons*.code)
    assert results.cli.entry.seq == 4   // a refusal is recorded too
    assert jenkins.errors.isEmpty()
}

test('ehdeployRelease status: the promotion into exttest is blocked, both ways') {
    Map results = releaseBoth(action: 'status', at: '2026-11-24T12:00:00Z')
    sameBothWays(results)
    assert results.cli.entries == 5
    Map promote = results.cli.status.next.find { it.action == 'promote' }
    assert promote.environment == 'exttest'
    assert promote.allowed == false
    assert 'gate/missing-evidence' in promote.reasons*.code
    assert jenkins.echoed[0] == "ehdeploy release ${candidate} (revision abc123): inttest deployed, exttest not-reached, " +
                                'preprod not-reached, prod not-reached'
    assert jenkins.echoed.contains('  allowed record-evidence inttest: record deployed-healthy in inttest')
    assert jenkins.echoed.contains("  blocked promote exttest: promote ${candidate} into exttest (roles: test-promoter)".toString())
    assert jenkins.echoed.contains('      [gate/missing-evidence] missing tests-passed in inttest')
    releaseHead = results.cli.head
}

test('ehdeployRelease verify-log: the log verifies, 5 entries, the status\'s head, both ways') {
    Map results = releaseBoth(action: 'verify-log', head: releaseHead)
    sameBothWays(results)
    assert results.cli.ok == true
    assert results.cli.entries == 5
    assert results.cli.head == releaseHead
    assert jenkins.echoed == ["ehdeploy release: audit log ${logFile('native').path} verifies: 5 entries, head ${releaseHead}".toString()]
    assert logFile('cli').readLines().size() == 5
}

test('ehdeployRelease verify-log: another head fails the build') {
    def result = step('ehdeployRelease', [action: 'verify-log', platform: releaseCopies.cli.path, candidate: candidate,
                                          head: '0' * 64])
    assert result instanceof PipelineError
    assert result.message.startsWith("ehdeploy release: audit log ${logFile('cli').path} does not verify at line 6: ")
}

test('ehdeployRelease verify-log: a tampered log fails the build naming the line, both ways') {
    releaseCopies.keySet().each { String way ->
        File log = logFile(way)
        byte[] bytes = log.bytes
        int at = new String(bytes, 'UTF-8').indexOf('"name":"carol"') + 9   // line 2's actor
        bytes[at] = (byte) (bytes[at] ^ 1)
        log.bytes = bytes
    }
    Map results = releaseBoth(action: 'verify-log')
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith("ehdeploy release: audit log ${logFile(way).path} does not verify at line 2: ")
    }
    results = releaseBoth(action: 'verify-log', failOnError: false)
    sameBothWays(results)
    assert results.cli.ok == false
    assert results.cli.entries == 1
    assert results.cli.problem.line == 2
    // Nothing more is recorded in a log that does not verify: an error answer.
    results = releaseBoth(action: 'event', actor: supplier, at: '2026-11-24T13:00:00Z',
                          event: [type: 'evidence', environment: 'inttest', kind: 'tests-passed', ok: true])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy release_event failed [audit-log]: the audit log does not verify'): way
    }
}

test('ehdeployRelease: an event needs an actor when no user started the build') {
    def result = step('ehdeployRelease', [action: 'event', platform: releaseCopies.cli.path, candidate: 'other',
                                          event: [type: 'promotion-requested', to: 'exttest']])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRelease: `actor` is required')
    assert !logFile('cli').parentFile.list().contains('other.jsonl')
}

test('ehdeployRelease: an unknown action, a missing event or candidate fail the build') {
    def result = step('ehdeployRelease', [action: 'promote', platform: releaseCopies.cli.path, candidate: candidate])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRelease: `action` must be one of status, event, verify-log, artifacts')
    result = step('ehdeployRelease', [action: 'event', platform: releaseCopies.cli.path, candidate: candidate, actor: supplier])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRelease: `event` (a Map with its `type`) is required')
    result = step('ehdeployRelease', [action: 'status', platform: releaseCopies.cli.path])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployRelease: `candidate` is required'
}

// ---- ehdeployRollout and ehdeployCanary -----------------------------------------------------

String rolloutFixtures = 'crates/ehdeploy/tests/rollout'

test('ehdeployRollout: crashloop.json fails the build naming patient-api and its next step, both ways') {
    Map results = bothWays('ehdeployRollout', [objects: "${rolloutFixtures}/crashloop.json"])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy rollout: 1 app(s) need a person: patient-api stalled, next fix-configuration-or-roll-back': way
    }
    assert jenkins.echoed[0].startsWith('patient-api stalled fix-configuration-or-roll-back: the new pods never became ready ')
    assert jenkins.echoed[1] == '  patient-api-7d9f-dddd1/patient-api: CrashLoopBackOff, 5 restarts; ' +
                                'last state terminated: Error, exit code 1; ' +
                                'back-off 2m40s restarting failed container=patient-api pod=patient-api-7d9f-dddd1_medilink'
}

test('ehdeployRollout: failOnProblem false returns the parity answer, both ways') {
    Map results = bothWays('ehdeployRollout', [objects: "${rolloutFixtures}/crashloop.json", failOnProblem: false])
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    assert results.cli == parse(answerText('rollout-health-crashloop'))
    assert jenkins.errors.isEmpty()
}

test('ehdeployRollout: healthy.json passes, both ways') {
    Map results = bothWays('ehdeployRollout', [objects: "${rolloutFixtures}/healthy.json", apps: ['patient-api']])
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert results.cli == results.native
    assert results.cli.apps*.state == ['healthy']
    assert results.cli.apps*.next == ['nothing']
    assert jenkins.echoed == ['patient-api healthy nothing: 3 of 3 replicas of the new revision ready']
}

test('ehdeployRollout: degraded.json asks for a roll-back, with the failing probe') {
    def result = step('ehdeployRollout', [objects: "${rolloutFixtures}/degraded.json"])
    assert result instanceof PipelineError
    assert result.message == 'ehdeploy rollout: 1 app(s) need a person: patient-api degraded, next roll-back'
    assert jenkins.echoed.contains('  patient-api-7d9f-hhhh2/patient-api: NotReady, 4 restarts; ' +
                                   'liveness probe: HTTP GET /health/live on port 8080 failing; ' +
                                   'last state terminated: Error, exit code 137')
}

test('ehdeployRollout: namespace runs kubectl on the agent first, both ways') {
    File fakeKubectl = new File(scratch, 'fake kubectl')
    File kubectlLog = new File(scratch, 'kubectl.log')
    fakeKubectl.text = '#!/bin/sh\n' +
                       "echo \"\$@\" >> '${kubectlLog.path}'\n" +
                       "cat '${new File(root, "${rolloutFixtures}/crashloop.json").path}'\n"
    fakeKubectl.setExecutable(true)
    String kubectl = org.ehdeploy.Steps.shellQuote(fakeKubectl.path)
    Map results = bothWays('ehdeployRollout', [namespace: 'medilink', kubectl: kubectl, failOnProblem: false])
    assert results.cli == results.native
    assert results.cli == parse(answerText('rollout-health-crashloop'))
    assert kubectlLog.readLines() == ['get deploy,rs,pods -n medilink -o json'] * 2
    assert jenkins.commands[0].contains("get deploy,rs,pods -n 'medilink' -o json > ")
    def failing = step('ehdeployRollout', [namespace: 'medilink', kubectl: 'false'])
    assert failing instanceof PipelineError
    assert failing.message == 'ehdeployRollout: `false get deploy,rs,pods -n medilink -o json` exited with status 1'
}

test('ehdeployRollout: objects or namespace, not both, not neither; a missing file is an error answer') {
    def result = step('ehdeployRollout', [:])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollout: `objects` (a file) or `namespace`')
    result = step('ehdeployRollout', [objects: 'a.json', namespace: 'medilink'])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployRollout: give either `objects` or `namespace`, not both'
    Map results = bothWays('ehdeployRollout', [objects: 'no-such-objects.json'])
    results.each { way, result2 ->
        assert result2 instanceof PipelineError: way
        assert result2.message.startsWith('ehdeploy rollout_health failed [io]: cannot read no-such-objects.json'): way
    }
}

Map canaryQuestions = questions.findAll { it.op == 'canary_decide' }.collectEntries { [(it.name): parse(it.request as String)] }
test('the parity questions have the three canary requests') {
    assert canaryQuestions.keySet() == ['canary-errors-roll-back', 'canary-no-traffic-inconclusive', 'canary-healthy-continues'] as Set
}
canaryQuestions.each { String name, Map request ->
    test("ehdeployCanary: ${name} gives the recorded answer, both ways") {
        Map expected = parse(answerText(name))
        Map results = bothWays('ehdeployCanary', request + [failOnRollBack: false])
        results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
        assert plain(results.cli) && plain(results.native)
        assert results.cli == results.native
        assert results.cli == expected
        assert jenkins.echoed[0] == "ehdeploy canary: ${expected.action} at weight ${expected.state.weight}: ${expected.reason}".toString()
        assert jenkins.echoed.size() == 1 + expected.checks.size()
        assert jenkins.errors.isEmpty()
    }
}

test('ehdeployCanary: a roll-back fails the build with its reason, both ways') {
    Map results = bothWays('ehdeployCanary', canaryQuestions['canary-errors-roll-back'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy canary: roll-back: failed check 2 of 2 at weight 30: request-success-rate 80 is below min 99': way
    }
    assert jenkins.echoed.contains('  request-success-rate failed: 80 is below min 99')
}

test('ehdeployCanary: the state carries from one check to the next (GString keys and values too)') {
    Map request = canaryQuestions['canary-healthy-continues']
    String metric = 'request-success-rate'
    Map first = step('ehdeployCanary', [analysis: request.analysis, samples: request.samples])
    assert first.action == 'continue'
    assert first.state == [weight: 10, failedChecks: 0, inconclusiveChecks: 0]
    Map second = step('ehdeployCanary', [analysis: request.analysis, state: first.state,
                                         samples: ["${metric}": [value: 99.5], 'request-duration': 'no-data']])
    assert second.action == 'inconclusive'
    assert second.state == [weight: 10, failedChecks: 0, inconclusiveChecks: 1]
}

test('ehdeployCanary: an invalid analysis fails the build with [usage], both ways') {
    Map analysis = [threshold: 0, stepWeight: 10, metrics: [[name: 'request-success-rate', thresholdRange: [min: 99]]]]
    Map results = bothWays('ehdeployCanary', [analysis: analysis, samples: ['request-success-rate': [value: 99.9]]])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy canary_decide failed [usage]: the canary analysis is not valid: '): way
        assert result.message.contains('(/threshold)'): way
    }
    def result = step('ehdeployCanary', [samples: [:]])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployCanary: `analysis`')
}

// ---- ehdeployCanary's analyze and resources modes, and EhDeploy's canary methods ------------

String resourcesText = answerText('canary-resources-prod')
Map unreachable = parse(questions.find { it.name == 'error-canary-analyze-unreachable' }.request as String)
String unreachableMessage = parse(answerText('error-canary-analyze-unreachable')).error.message

test('libehdeploy has both canary operations (canary_analyze needs the core\'s prometheus feature)') {
    assert ['canary_resources', 'canary_analyze'].every { it in ehd.call('version', [:]).operations }
}

test('EhDeploy.canaryResources and canaryResourcesJson: the parity answer') {
    assert ehd.canaryResourcesJson('examples/platform', 'prod') == resourcesText
    Map list = ehd.canaryResources('examples/platform', 'prod')
    assert plain(list)
    assert list == parse(resourcesText)
    assert list.items*.metadata*.name == ['patient-api', 'patient-portal']
    assert ehd.canaryResources('examples/platform', 'prod', ['patient-portal']).items == [list.items[1]]
    assert ehd.canaryResources('examples/platform', 'prod', ['patient-apy']).error.code == 'usage'
}

test('EhDeploy.canaryAnalyze: Prometheus unreachable is an io error, the parity answer') {
    Map answer = ehd.canaryAnalyze(unreachable + [candidate: null])
    assert answer == parse(answerText('error-canary-analyze-unreachable'))
    assert answer.error.code == 'io'
}

/**
 * A stand-in for Prometheus in this JVM: `/api/v1/query_range` answers one series with a value
 * at every step, by what the query asks: `histogram_quantile` (the request duration) gives
 * `fakeDuration`, any other query (the success rate) `fakeSuccessRate`.
 */
Map fake = [successRate: '99.9', duration: '120', queries: Collections.synchronizedList([])]
com.sun.net.httpserver.HttpServer prometheus = com.sun.net.httpserver.HttpServer.create(
    new InetSocketAddress(InetAddress.getByName('127.0.0.1'), 0), 0)
prometheus.createContext('/api/v1/query_range') { exchange ->
    Map params = exchange.requestURI.rawQuery.split('&').collectEntries {
        List kv = it.split('=', 2) as List
        [(URLDecoder.decode(kv[0] as String, 'UTF-8')): URLDecoder.decode(kv[1] as String, 'UTF-8')]
    }
    fake.queries << params.query
    String value = params.query.contains('histogram_quantile') ? fake.duration : fake.successRate
    long start = new BigDecimal(params.start as String).longValue()
    long end = new BigDecimal(params.end as String).longValue()
    int stepSeconds = Integer.parseInt(params.step as String)
    List values = (start..end).step(stepSeconds).collect { [it, value] }
    byte[] body = groovy.json.JsonOutput.toJson([status: 'success',
                                                 data  : [resultType: 'matrix', result: [[metric: [:], values: values]]]]).getBytes('UTF-8')
    exchange.responseHeaders.add('Content-Type', 'application/json')
    exchange.sendResponseHeaders(200, body.length)
    exchange.responseBody.withStream { it.write(body) }
}
prometheus.start()
String prometheusUrl = "http://127.0.0.1:${prometheus.address.port}"
String canaryStart = '2026-11-20T10:00:00Z'
Map analyzeConfig = [mode: 'analyze', platform: 'examples/platform', env: 'prod', app: 'patient-api',
                     prometheus: prometheusUrl, since: canaryStart, at: '2026-11-20T10:20:00Z']

test('ehdeployCanary analyze: a healthy canary is promoted, the same Map both ways') {
    fake.queries.clear()
    Map results = bothWays('ehdeployCanary', analyzeConfig)
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    // What EhDeploy (and so the library's answer) says, too.
    assert results.cli == ehd.canaryAnalyze(platform: 'examples/platform', environment: 'prod', app: 'patient-api',
                                            prometheus: prometheusUrl, since: canaryStart, at: '2026-11-20T10:20:00Z')
    Map run = results.cli.run
    assert run.checks*.at == (1..6).collect { String.format('2026-11-20T10:%02d:00Z', it) }
    assert run.checks*.decision*.action == ['continue'] * 5 + ['promote']
    assert run.checks*.decision*.state*.weight == [10, 20, 30, 40, 50, 50]
    assert run.action == 'promote' && run.nextCheck == null
    assert results.cli.prometheus == prometheusUrl
    assert results.cli.analysisSource == 'platform.yaml at /canary/analysis'
    assert results.cli.recorded == null
    assert fake.queries.size() == 6   // two metrics, each in one range query: the CLI, native, EhDeploy
    assert jenkins.echoed[0] == 'ehdeploy canary patient-api in prod: promote at weight 50 after 6 check(s) ' +
                                'from 2026-11-20T10:00:00Z to 2026-11-20T10:20:00Z'
    assert jenkins.echoed[1].startsWith('  2026-11-20T10:01:00Z continue at weight 10: ')
    assert jenkins.echoed.size() == 7
    assert jenkins.errors.isEmpty()
}

test('ehdeployCanary analyze: halfway, the next check is due; timeoutSeconds and retries reach both ways') {
    Map config = analyzeConfig + [at: '2026-11-20T10:02:30Z', timeoutSeconds: 3, retries: 0]
    Map results = [cli: step('ehdeployCanary', config)]
    assert jenkins.commands[0].contains("ehdeploy canary analyze '--platform' 'examples/platform' '--env' 'prod' " +
                                        "'--app' 'patient-api' '--prometheus' '${prometheusUrl}' '--since' '${canaryStart}' " +
                                        "'--at' '2026-11-20T10:02:30Z' '--timeout' '3' '--retries' '0' '--format' 'json' > ")
    results.native = step('ehdeployCanary', config + [native: true])
    assert results.cli instanceof Map && results.cli == results.native
    assert results.cli.run.action == 'continue'
    assert results.cli.run.nextCheck == '2026-11-20T10:03:00Z'
    assert jenkins.echoed[0].endsWith('; next check at 2026-11-20T10:03:00Z')
    results = bothWays('ehdeployCanary', analyzeConfig + [at: '2026-11-20T10:00:30Z'])
    assert results.cli == results.native
    assert results.cli.run.checks == [] && results.cli.run.action == null
    assert jenkins.echoed[0].startsWith('ehdeploy canary patient-api in prod: no check yet after 0 check(s) ')
}

test('ehdeployCanary analyze: an erroring canary is rolled back and fails the build, both ways') {
    fake.successRate = '80'
    try {
        Map results = bothWays('ehdeployCanary', analyzeConfig)
        results.each { way, result ->
            assert result instanceof PipelineError: way
            assert result.message.startsWith('ehdeploy canary: roll-back: '): way
        }
        assert results.cli.message == results.native.message
        results = bothWays('ehdeployCanary', analyzeConfig + [failOnRollBack: false])
        assert results.cli instanceof Map && results.cli == results.native
        assert results.cli.run.action == 'roll-back'
        assert results.cli.run.checks.size() == 5   // threshold 5
        assert jenkins.errors.isEmpty()
    } finally {
        fake.successRate = '99.9'
    }
}

test('ehdeployCanary analyze: Prometheus unreachable fails the build with [io], the same message both ways') {
    Map config = [mode: 'analyze', platform: unreachable.platform, env: unreachable.environment, app: unreachable.app,
                  prometheus: unreachable.prometheus, since: unreachable.since, at: unreachable.at, retries: unreachable.retries]
    Map results = bothWays('ehdeployCanary', config)
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == "ehdeploy canary_analyze failed [io]: ${unreachableMessage}".toString(): way
    }
}

test('ehdeployCanary analyze: an unknown app fails the build with [usage], both ways') {
    Map results = bothWays('ehdeployCanary', analyzeConfig + [app: 'patient-apy'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy canary_analyze failed [usage]: `patient-apy` is not an enabled app of prod ' +
                                 '(did you mean `patient-api`?)': way
    }
}

test('ehdeployCanary analyze: a finished run is recorded in the candidate\'s log; a refusal fails the build, both ways') {
    String example = '2026.11.24-1'   // examples/platform's candidate, which has not reached prod
    Map copies = [cli: new File(scratch, 'canary-cli'), native: new File(scratch, 'canary-native')]
    copies.each { String way, File copy -> copyTree(new File(root, 'examples/platform'), copy) }
    Map results = [:]
    copies.each { String way, File copy ->
        results[way] = step('ehdeployCanary', analyzeConfig + [platform: copy.path, candidate: example,
                                                                actor: [name: 'dave', roles: ['qa-lead', 'prod-promoter']],
                                                                native: way == 'native'])
    }
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy canary: canary-passed evidence refused: ['): way
    }
    assert results.cli.message == results.native.message
    jenkins.buildUser = 'erin'
    try {
        copies.each { String way, File copy ->
            results[way] = step('ehdeployCanary', analyzeConfig + [platform: copy.path, candidate: example, failOnRefusal: false,
                                                                    actor: [roles: ['qa-lead']], native: way == 'native'])
        }
    } finally {
        jenkins.buildUser = null
    }
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    Map recorded = [cli: results.cli.recorded, native: results.native.recorded]
    assert results.cli.findAll { it.key != 'recorded' } == results.native.findAll { it.key != 'recorded' }
    assert recorded.cli.findAll { it.key != 'log' } == recorded.native.findAll { it.key != 'log' }
    assert recorded.cli.log == new File(copies.cli, "promotions/${example}.jsonl").path
    assert recorded.cli.decision.outcome == 'refused'
    assert recorded.cli.entry.actor == [name: 'erin', roles: ['qa-lead']]
    assert recorded.cli.entry.event.type == 'evidence'
    assert recorded.cli.entry.event.kind == 'canary-passed'
    assert recorded.cli.entry.event.environment == 'prod'
    assert recorded.cli.entry.event.ok == true
    assert jenkins.echoed.contains("ehdeploy canary: canary-passed evidence refused in ${recorded.native.log}".toString())
    assert jenkins.errors.isEmpty()
    // The refused evidence is in each log, which still verifies.
    copies.each { String way, File copy ->
        Map verified = ehd.call('verify_log', [platform: copy.path, candidate: example])
        assert verified.ok && verified.entries == 12: way
    }
}

test('ehdeployCanary analyze: required parameters, the actor with its candidate, whole numbers') {
    def result = step('ehdeployCanary', [mode: 'analyze', platform: 'examples/platform', env: 'prod'])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployCanary: `app` is required'
    result = step('ehdeployCanary', analyzeConfig + [candidate: 'c1'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployCanary: `actor` is required with `candidate`')
    result = step('ehdeployCanary', analyzeConfig + [actor: 'dave'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployCanary: `actor` records the outcome in the log of `candidate`')
    result = step('ehdeployCanary', analyzeConfig + [retries: -1])
    assert result instanceof PipelineError
    assert result.message == "ehdeployCanary: `retries` must be a whole number, 0 or more, not '-1'"
    result = step('ehdeployCanary', analyzeConfig + [timeoutSeconds: '10'])
    assert result instanceof PipelineError
}

test('ehdeployCanary: an unknown mode, another mode\'s parameters and unknown ones fail the build') {
    def result = step('ehdeployCanary', [mode: 'judge'])
    assert result instanceof PipelineError
    assert result.message == "ehdeployCanary: `mode` must be one of decide, analyze, resources, not 'judge'"
    result = step('ehdeployCanary', analyzeConfig + [samples: [:], output: 'x.json'])
    assert result instanceof PipelineError
    assert result.message.startsWith("ehdeployCanary: `output`, `samples` not for mode 'analyze', whose parameters are platform, env, app, ")
    result = step('ehdeployCanary', [analysis: [:], samples: [:], app: 'patient-api'])
    assert result instanceof PipelineError
    assert result.message.startsWith("ehdeployCanary: `app` not for mode 'decide'")
    result = step('ehdeployCanary', [mode: 'resources', platform: 'examples/platform', env: 'prod', ouptut: 'x.json'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployCanary: unknown parameter(s) ouptut; known: ')
}

test('ehdeployCanary resources: the List written to output byte for byte, the same Map both ways') {
    Map files = [cli: new File(scratch, 'flagger/cli/flagger.json'), native: new File(scratch, 'flagger/native/flagger.json')]
    Map results = [:]
    files.each { String way, File file ->
        results[way] = step('ehdeployCanary', [mode: 'resources', platform: 'examples/platform', env: 'prod',
                                               output: file.path, native: way == 'native'])
        assert results[way] instanceof Map: "${way}: ${results[way]}"
        assert file.getText('UTF-8') == resourcesText + '\n': way
        assert jenkins.echoed == ["ehdeploy canary: 2 Flagger object(s) of prod in ${file.path}: ".toString() +
                                  'Canary medilink/patient-api, Canary medilink/patient-portal']
    }
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    assert results.cli == parse(resourcesText)
}

test('ehdeployCanary resources: some apps; without output only the Map, both ways') {
    Map results = bothWays('ehdeployCanary', [mode: 'resources', platform: 'examples/platform', env: 'prod',
                                              apps: ['patient-portal', 'patient-api']])
    assert results.cli instanceof Map && results.cli == results.native
    assert results.cli.items*.metadata*.name == ['patient-api', 'patient-portal']
    results = bothWays('ehdeployCanary', [mode: 'resources', platform: 'examples/platform', env: 'prod', apps: 'patient-portal'])
    assert results.cli == results.native
    assert results.cli.items == [parse(resourcesText).items[1]]
    assert jenkins.echoed == ['ehdeploy canary: 1 Flagger object(s) of prod: Canary medilink/patient-portal']
}

test('ehdeployCanary resources: an app with canary off fails the build with [usage] and leaves no file, both ways') {
    Map files = [cli: new File(scratch, 'flagger-off-cli.json'), native: new File(scratch, 'flagger-off-native.json')]
    files.each { String way, File file ->
        file.text = 'stale'
        def result = step('ehdeployCanary', [mode: 'resources', platform: 'examples/platform', env: 'prod',
                                             apps: ['appointments'], output: file.path, native: way == 'native'])
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy canary_resources failed [usage]: canary is off for `appointments` in prod': way
        assert !file.exists(): way
    }
    def result = step('ehdeployCanary', [mode: 'resources', env: 'prod'])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployCanary: `platform` is required'
}

// ---- ehdeployRollback and EhDeploy.rollback: real git repositories made with `git` ----------
// The history of the Rust tests (crates/ehdeploy/tests/rollback.rs): api 1.0 and web 1.0
// (healthy by c1), api 1.1 (healthy by c2), api 1.2 (unhealthy by c3), web 1.1. Every commit
// and audit entry has a fixed time, so two repositories made alike have the same commit ids.

String gitTime = '2026-11-20T10:00:00Z'
/** `git args` in `dir` (no system config, fixed dates); its stdout. A failure fails the test. */
def git = { File dir, List<String> args ->
    ProcessBuilder builder = new ProcessBuilder(['git'] + args).directory(dir)
    builder.environment().putAll([GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: gitTime, GIT_COMMITTER_DATE: gitTime])
    Process process = builder.start()
    ByteArrayOutputStream out = new ByteArrayOutputStream()
    ByteArrayOutputStream err = new ByteArrayOutputStream()
    process.waitForProcessOutput(out, err)
    assert process.exitValue() == 0: "git ${args}: ${err.toString('UTF-8')}"
    out.toString('UTF-8')
}
def specDigest = { int n -> 'sha256:' + Integer.toHexString(n) * 64 }
def specValues = { String app, String tag, int n ->
    "# ${app}: pinned by the digest tested before.\nimage: registry.example/team/${app}\n" +
    "imageTag: ${tag}   # the release\nimageDigest: ${specDigest(n)}\nreplicaCount: 2\n".toString()
}
def specDsf = { String env ->
    "# ${env}: the apps of the team.\nnamespaces:\n  team: {}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n" +
    ['api', 'web'].collect { app ->
        "  ${app}:\n    namespace: team\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n" +
        "    valuesFiles: [../values/common.yaml, ../values/${env}/${app}.yaml]\n"
    }.join('')
}
String specPlatform = 'name: rollback-test\nenvironments:\n  - name: test\n    dsf: [envs/test.yaml]\n' +
                      '  - name: prod\n    dsf: [envs/prod.yaml]\nregistries: [registry.example]\ncharts:\n' +
                      '  - name: ehealth-service\n    repository: https://charts.example/stable\n    profile: ehealth-service\n'
/** Records in `dir`'s audit log that `candidate` ran `apps` ([app: digest number]) in prod, healthy or not. */
def specRecord = { File dir, String id, Map apps, boolean healthy ->
    Map artifacts = apps.collectEntries { String app, int n ->
        [(app): [chart: 'ehealth/ehealth-service', version: '2.0.0', image: "registry.example/team/${app}".toString(),
                 digest: specDigest(n)]]
    }
    [[type: 'candidate-created', candidate: id, revision: '0' * 40, artifacts: artifacts],
     [type: 'deployed', environment: 'test', artifacts: artifacts],
     [type: 'promotion-requested', to: 'prod'],
     [type: 'promoted', to: 'prod', artifacts: artifacts],
     [type: 'deployed', environment: 'prod', artifacts: artifacts],
     [type: 'evidence', environment: 'prod', kind: 'deployed-healthy', ok: healthy]].each { Map event ->
        Map answer = ehd.call('release_event', [platform: dir.path, candidate: id, actor: [name: 'jenkins', roles: []],
                                                event: event, at: gitTime])
        assert answer.decision?.outcome == 'accepted': answer
    }
}
/** A git work tree in `dir` on `main` with the history; the commit ids by name. */
def specRepo = { File dir ->
    dir.mkdirs()
    git(dir, ['init', '-q', '-b', 'main'])
    git(dir, ['config', 'user.name', 'Release Manager'])
    git(dir, ['config', 'user.email', 'rm@ehealth.example'])
    git(dir, ['config', 'commit.gpgsign', 'false'])
    def write = { String path, String text ->
        File file = new File(dir, path)
        file.parentFile.mkdirs()
        file.setText(text, 'UTF-8')
    }
    def commit = { String message ->
        git(dir, ['add', '-A'])
        git(dir, ['commit', '-q', '-m', message])
        git(dir, ['rev-parse', 'HEAD']).trim()
    }
    write('platform.yaml', specPlatform)
    write('values/common.yaml', 'containerPort: 8080\n')
    ['test', 'prod'].each { String env ->
        write("envs/${env}.yaml", specDsf(env))
        write("values/${env}/api.yaml", specValues('api', '1.0.0', 1))
        write("values/${env}/web.yaml", specValues('web', '1.0.0', 5))
    }
    specRecord(dir, 'c1', [api: 1, web: 5], true)
    Map ids = [init: commit('api 1.0.0 and web 1.0.0')]
    write('values/prod/api.yaml', specValues('api', '1.1.0', 2))
    specRecord(dir, 'c2', [api: 2, web: 5], true)
    ids.api11 = commit('api 1.1.0 in prod')
    write('values/prod/api.yaml', specValues('api', '1.2.0', 3))
    specRecord(dir, 'c3', [api: 3, web: 5], false)
    ids.api12 = commit('api 1.2.0 in prod')
    write('values/prod/web.yaml', specValues('web', '1.1.0', 6))
    ids.web11 = commit('web 1.1.0 in prod')
    ids
}
File planRepo = new File(scratch, 'rollback-plan')
Map planIds = specRepo(planRepo)

test('libehdeploy has rollback (it needs the core\'s git feature)') {
    assert 'rollback' in ehd.call('version', [:]).operations
}

test('EhDeploy.rollback: the plan back to api 1.1.0, healthy by c2; nothing written') {
    String before = git(planRepo, ['log', '--format=%H %s'])
    Map answer = ehd.rollback(repo: planRepo.path, environment: 'prod', app: 'api', to: null)
    assert plain(answer)
    assert answer.branch == 'main' && answer.environment == 'prod'
    assert answer.head == [id: planIds.web11, summary: 'web 1.1.0 in prod', time: gitTime]
    assert answer.target == [id: planIds.api11, summary: 'api 1.1.0 in prod', time: gitTime]
    assert answer.healthyByRecord == true
    assert answer.apps*.app == ['api'] && answer.apps[0].healthyBy == 'c2'
    assert answer.apps[0].from.tag == '1.2.0' && answer.apps[0].to.tag == '1.1.0'
    assert answer.apps[0].to.digest == specDigest(2)
    assert answer.between.collect { [it.revision.id, it.apps, it.others] } == [[planIds.web11, ['web'], ['web']],
                                                                               [planIds.api12, ['api'], []]]
    assert answer.files*.path == ['values/prod/api.yaml']
    assert answer.files[0].before == specValues('api', '1.2.0', 3)
    assert answer.files[0].after == specValues('api', '1.1.0', 2)
    assert answer.commit == null && answer.recorded == null
    assert git(planRepo, ['log', '--format=%H %s']) == before
    assert git(planRepo, ['status', '--porcelain']) == ''
    assert answer == parse(ehd.callJson('rollback', EhDeploy.toJson([repo: planRepo.path, environment: 'prod', app: 'api'])))
}

test('ehdeployRollback: the plan, the same Map both ways and as EhDeploy gives it') {
    Map results = bothWays('ehdeployRollback', [repo: planRepo.path, env: 'prod', app: 'api'])
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    assert results.cli == ehd.rollback(repo: planRepo.path, environment: 'prod', app: 'api')
    assert jenkins.echoed == [
        "ehdeploy rollback of prod on main: back to ${planIds.api11.take(7)} api 1.1.0 in prod (${gitTime}), healthy by record",
        '  api: ehealth/ehealth-service 2.0.0 registry.example/team/api:1.2.0 -> ' +
            'ehealth/ehealth-service 2.0.0 registry.example/team/api:1.1.0 (healthy by record: c2)',
        "  between: ${planIds.web11.take(7)} web 1.1.0 in prod changed web; kept: web (decide about these)",
        "  between: ${planIds.api12.take(7)} api 1.2.0 in prod changed api",
        '  file: values/prod/api.yaml',
        'ehdeploy rollback: not written (write: true commits it)',
    ]*.toString()
    assert jenkins.errors.isEmpty()
    // The CLI path: `ehdeploy rollback ... --format json`, every parameter a word of its own.
    results.cli = step('ehdeployRollback', [repo: planRepo.path, env: 'prod', to: 'HEAD~3', app: 'api'])
    assert jenkins.commands[0].contains("ehdeploy rollback '--repo' '${planRepo.path}' '--env' 'prod' '--app' 'api' " +
                                        "'--to' 'HEAD~3' '--format' 'json' > ")
    results.native = step('ehdeployRollback', [repo: planRepo.path, env: 'prod', to: 'HEAD~3', app: 'api', native: true])
    assert results.cli instanceof Map && results.cli == results.native
    assert results.cli.target.id == planIds.init
    assert git(planRepo, ['status', '--porcelain']) == ''
}

test('ehdeployRollback: the whole environment, both ways') {
    Map results = bothWays('ehdeployRollback', [repo: planRepo.path, env: 'prod'])
    assert results.cli instanceof Map && results.cli == results.native
    assert results.cli.target.id == planIds.api12
    assert results.cli.apps.collect { [it.app, it.healthyBy] } == [['web', 'c1']]
    assert results.cli.files*.path == ['values/prod/web.yaml']
}

test('ehdeployRollback write: one new commit on main, the rolled-back event by the build\'s user, both ways') {
    Map repos = [cli: new File(scratch, 'rollback-cli'), native: new File(scratch, 'rollback-native')]
    Map ids = repos.collectEntries { way, dir -> [(way): specRepo(dir as File)] }
    assert ids.cli == ids.native   // made alike: the same commits
    Map results = [:]
    jenkins.buildUser = 'erin'
    try {
        repos.each { String way, File dir ->
            results[way] = step('ehdeployRollback', [repo: dir.path, env: 'prod', app: 'api', write: true, candidate: 'c3',
                                                     roles: ['release-manager'], native: way == 'native'])
            assert results[way] instanceof Map: "${way}: ${results[way]}"
            assert jenkins.echoed[-2] == "ehdeploy rollback: committed ${results[way].commit.id.take(7)} " +
                                         "Roll back `api` in prod to ${ids.cli.api11.take(7)}".toString()
            assert jenkins.echoed[-1] == "ehdeploy rollback: rolled-back accepted in ${new File(dir, 'promotions/c3.jsonl').path}".toString()
        }
    } finally {
        jenkins.buildUser = null
    }
    assert plain(results.cli) && plain(results.native)
    // The same but the new commit (made now) and the log's path.
    def same = { Map answer -> answer.findAll { !(it.key in ['commit', 'recorded']) } }
    assert same(results.cli) == same(results.native)
    assert results.cli.commit.summary == results.native.commit.summary
    assert results.cli.recorded.entry.findAll { it.key != 'hash' && it.key != 'at' && it.key != 'event' } ==
           results.native.recorded.entry.findAll { it.key != 'hash' && it.key != 'at' && it.key != 'event' }
    repos.each { String way, File dir ->
        Map answer = results[way] as Map
        assert git(dir, ['rev-parse', 'HEAD']).trim() == answer.commit.id: way
        assert git(dir, ['rev-parse', 'main']).trim() == answer.commit.id: way
        assert git(dir, ['rev-parse', 'HEAD~1']).trim() == ids[way].web11: way
        assert git(dir, ['diff', '--name-only', 'HEAD~1', 'HEAD']) == 'values/prod/api.yaml\n': way
        assert new File(dir, 'values/prod/api.yaml').getText('UTF-8') == specValues('api', '1.1.0', 2): way
        Map recorded = answer.recorded as Map
        assert recorded.decision == [outcome: 'accepted']: way
        assert recorded.entry.actor == [name: 'erin', roles: ['release-manager']]: way
        assert recorded.entry.event == [type: 'rolled-back', environment: 'prod',
                                        reason: "api back to ${ids[way].api11.take(7)} in commit ${answer.commit.id.take(7)} on main".toString()]: way
        // Only the log (not committed) differs from the new commit.
        assert git(dir, ['status', '--porcelain']) == ' M promotions/c3.jsonl\n': way
        git(dir, ['checkout', '-q', 'promotions/c3.jsonl'])
        assert git(dir, ['status', '--porcelain']) == '': way
    }
}

test('ehdeployRollback: not a repository, an unknown environment, another branch\'s revision fail the build with [usage], both ways') {
    File plainDir = new File(scratch, 'not-a-repository')
    plainDir.mkdirs()
    Map results = bothWays('ehdeployRollback', [repo: plainDir.path, env: 'prod'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith("ehdeploy rollback failed [usage]: ${plainDir.path} is not in a git work tree: "): way
    }
    results = bothWays('ehdeployRollback', [repo: planRepo.path, env: 'staging'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy rollback failed [usage]: environment `staging` is not in the platform file ' +
                                 '(it has: test, prod)': way
    }
    git(planRepo, ['checkout', '-q', '-b', 'elsewhere'])
    new File(planRepo, 'values/prod/api.yaml').setText(specValues('api', '9.9.9', 9), 'UTF-8')
    git(planRepo, ['commit', '-q', '-a', '-m', 'api 9.9.9 on another branch'])
    String elsewhere = git(planRepo, ['rev-parse', 'HEAD']).trim()
    git(planRepo, ['checkout', '-q', 'main'])
    results = bothWays('ehdeployRollback', [repo: planRepo.path, env: 'prod', app: 'api', to: elsewhere])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == "ehdeploy rollback failed [usage]: `${elsewhere}` is not in the history of `main`: " +
                                 'a rollback goes back to a revision the branch ran': way
    }
    assert git(planRepo, ['rev-parse', 'HEAD']).trim() == planIds.web11
}

test('ehdeployRollback: the parity question, an error the same through EhDeploy') {
    Map q = questions.find { it.op == 'rollback' } as Map
    Map request = parse(q.request as String)
    assert ehd.rollback(request) == parse(answerText(q.name as String))
    Map results = bothWays('ehdeployRollback', [repo: request.repo, env: request.environment])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == "ehdeploy rollback failed [usage]: ${parse(answerText(q.name as String)).error.message}".toString(): way
    }
}

test('ehdeployRollback: required and unknown parameters; as and roles only with a candidate') {
    def result = step('ehdeployRollback', [repo: planRepo.path])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployRollback: `env` is required'
    result = step('ehdeployRollback', [repo: planRepo.path, env: 'prod', revision: 'HEAD~1'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollback: unknown parameter(s) revision; known: ')
    result = step('ehdeployRollback', [repo: planRepo.path, env: 'prod', as: 'rm'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollback: `as` and `roles` say who records in the log of `candidate`')
    result = step('ehdeployRollback', [repo: planRepo.path, env: 'prod', write: true, candidate: 'c3'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollback: `as` is required with `candidate`')
    assert git(planRepo, ['rev-parse', 'HEAD']).trim() == planIds.web11
}

// ---- ehdeployRollout with a candidate: deployed-healthy evidence in its log ------------------

/** A platform repo with one environment `test` running patient-api in medilink, and c1 deployed there. */
def deployedPlatform = { File dir ->
    dir.mkdirs()
    new File(dir, 'platform.yaml').text = 'name: t\nenvironments:\n  - name: test\n    dsf: [test.yaml]\n'
    new File(dir, 'test.yaml').text = 'namespaces:\n  medilink: {}\napps:\n  patient-api:\n    namespace: medilink\n' +
                                      '    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n'
    Map artifacts = ['patient-api': [chart: 'ehealth/ehealth-service', version: '2.0.0']]
    [[type: 'candidate-created', candidate: 'c1', revision: 'abc', artifacts: artifacts],
     [type: 'deployed', environment: 'test', artifacts: artifacts]].each { Map event ->
        assert ehd.call('release_event', [platform: dir.path, candidate: 'c1', actor: [name: 'jenkins', roles: []],
                                          event: event]).decision.outcome == 'accepted'
    }
}

test('ehdeployRollout with candidate, as and roles: a finished roll-out is recorded, both ways') {
    Map copies = [cli: new File(scratch, 'rollout-cli'), native: new File(scratch, 'rollout-native')]
    Map results = [:]
    copies.each { String way, File dir ->
        deployedPlatform(dir)
        Map config = [platform: dir.path, env: 'test', candidate: 'c1', as: 'dave', roles: ['ops'], native: way == 'native']
        // Still progressing: nothing recorded.
        Map going = step('ehdeployRollout', config + [objects: "${rolloutFixtures}/progressing.json"]) as Map
        assert going.recorded == null: way
        results[way] = step('ehdeployRollout', config + [objects: "${rolloutFixtures}/healthy.json"])
        assert results[way] instanceof Map: "${way}: ${results[way]}"
        assert jenkins.echoed == ['patient-api healthy nothing: 3 of 3 replicas of the new revision ready',
                                  "ehdeploy rollout: deployed-healthy accepted in ${new File(dir, 'promotions/c1.jsonl').path}".toString()]
    }
    assert results.cli.apps == results.native.apps
    Map recorded = [cli: results.cli.recorded, native: results.native.recorded]
    recorded.each { way, r ->
        assert r.decision == [outcome: 'accepted']: way
        assert r.entry.actor == [name: 'dave', roles: ['ops']]: way
        assert r.entry.event == [type: 'evidence', environment: 'test', kind: 'deployed-healthy', ok: true,
                                 note: 'healthy: patient-api']: way
    }
    // A stalled roll-out is recorded as failing evidence, and still fails the build.
    copies.each { String way, File dir ->
        def failing = step('ehdeployRollout', [objects: "${rolloutFixtures}/crashloop.json", platform: dir.path, env: 'test',
                                               candidate: 'c1', as: 'dave', native: way == 'native'])
        assert failing instanceof PipelineError: way
        assert failing.message.startsWith('ehdeploy rollout: 1 app(s) need a person: patient-api stalled'): way
        assert jenkins.echoed[-1] == "ehdeploy rollout: deployed-healthy accepted in ${new File(dir, 'promotions/c1.jsonl').path}".toString()
        Map verified = ehd.call('verify_log', [platform: dir.path, candidate: 'c1'])
        assert verified.ok && verified.entries == 4: way
    }
}

test('ehdeployRollout: a candidate needs the platform and the environment; as and roles need a candidate') {
    Map results = bothWays('ehdeployRollout', [objects: "${rolloutFixtures}/healthy.json", candidate: 'c1', as: 'dave'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy rollout_health failed [usage]: recording for a candidate needs the actor, ' +
                                 'the platform and the environment': way
    }
    def result = step('ehdeployRollout', [objects: "${rolloutFixtures}/healthy.json", roles: ['ops']])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollout: `as` and `roles` say who records in the log of `candidate`')
    result = step('ehdeployRollout', [objects: "${rolloutFixtures}/healthy.json", platform: 'examples/platform',
                                      env: 'prod', candidate: 'c1'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployRollout: `as` is required with `candidate`')
}

// ---- ehdeployVerify and EhDeploy.verify: examples/platform's images, from its OCI layout -----
// Every image of examples/platform/images is signed but nordlab/lab-results:2.12.0-rc.1, which
// inttest's policy only warns about and exttest's refuses. What writes (pin, a candidate's log)
// works in copies of the platform, one per way.

String unsigned = 'registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1'
String unsignedDigest = 'sha256:d9d9d9e84f6dab5c0344976b0c55c2e434474de59b8d26d052d3aeb42b5985e4'
String patientApiDigest = 'sha256:4cbffa617b45ce6682f35dfb537995393e539e1795c61e424eaea028cd38cbd9'
Map inttestVerify = [platform: 'examples/platform', env: 'inttest', layout: 'examples/platform/images', processEnv: false]

test('libehdeploy has verify (it needs the core\'s signatures feature)') {
    assert 'verify' in ehd.call('version', [:]).operations
}

test('EhDeploy.verify: inttest from the layout is the parity answer, 7 allowed and lab-results warned') {
    Map answer = ehd.verify(platform: 'examples/platform', environment: 'inttest', layout: 'examples/platform/images',
                            processEnv: false, candidate: null)
    assert plain(answer)
    assert answer == parse(answerText('verify-inttest-layout'))
    assert answer.images.size() == 8
    assert answer.images*.verdict*.outcome == ['allowed'] * 6 + ['warned', 'allowed']
    assert answer.images.count { it.verdict.decision.allowed } == 7
    Map warned = answer.images.find { it.verdict.outcome == 'warned' } as Map
    assert warned.app == 'lab-results' && warned.reference == unsigned
    assert warned.verdict.decision.subMap(['allowed', 'mode', 'reason', 'passed']) == [allowed: false, mode: 'warn', reason: 'unsigned', passed: []]
    assert warned.verdict.decision.message == "no authority's signature verified (nordlab-ci: unsigned)"
    // A check's reason is the stable code alone; its message says what failed.
    assert warned.verdict.checks == [[authority: 'nordlab-ci', verified: false, reason: 'unsigned',
                                      message: "no signature for registry.ehealth.example/nordlab/lab-results@${unsignedDigest}".toString()]]
    assert answer.report.findings*.rule == ['signature/refused'] && answer.report.findings[0].severity == 'warning'
    // `files` is always there: empty without `pin`.
    assert answer.written == false && answer.files == [] && answer.recorded == null
}

test('ehdeployVerify: inttest, the same Map both ways as EhDeploy gives it; a warning does not fail the build') {
    String before = treeDigest(new File(root, 'examples/platform'))
    Map results = bothWays('ehdeployVerify', inttestVerify)
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert plain(results.cli) && plain(results.native)
    assert results.cli == results.native
    assert results.cli == parse(answerText('verify-inttest-layout'))
    assert jenkins.errors.isEmpty()
    assert jenkins.echoed[0] == 'ehdeploy verify: 8 image(s): 7 allowed, 1 warned, 0 refused, 0 unverifiable'
    assert jenkins.echoed[1] == "  allowed inttest patient-api registry.ehealth.example/medilink/patient-api:3.14.2@${patientApiDigest}: " +
                                'signed by medilink-ci'
    assert jenkins.echoed[7] == "  warned inttest lab-results ${unsigned}@${unsignedDigest}: " +
                                "no authority's signature verified (nordlab-ci: unsigned)"
    // Below a warned image, each authority that did not verify: its message and its reason.
    assert jenkins.echoed[8] == "    nordlab-ci: no signature for registry.ehealth.example/nordlab/lab-results@${unsignedDigest} [unsigned]"
    assert jenkins.echoed[9].startsWith('  allowed inttest lab-archive ')
    assert jenkins.echoed[10] == 'ehdeploy: 0 errors, 1 warnings in 18 files'
    assert jenkins.echoed[11] == "warning signature/refused examples/platform/values/lab-results/inttest.yaml:5:11 `${unsigned}` (${unsignedDigest}) " +
                                 "is refused in inttest: no authority's signature verified (nordlab-ci: unsigned)"
    assert jenkins.echoed.size() == 12
    // The CLI path: `ehdeploy verify ... --format json`, every parameter a word of its own.
    step('ehdeployVerify', inttestVerify)
    assert jenkins.commands[0].contains("ehdeploy verify '--platform' 'examples/platform' '--env' 'inttest' " +
                                        "'--layout' 'examples/platform/images' '--no-process-env' '--format' 'json' > ")
    // failOn: 'warning' fails on it, both ways.
    results = bothWays('ehdeployVerify', inttestVerify + [failOn: 'warning'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith("ehdeploy verify: 1 finding(s) at or above `warning`: [signature/refused] `${unsigned}` (${unsignedDigest}) is refused in inttest: "): way
    }
    assert treeDigest(new File(root, 'examples/platform')) == before
}

test('ehdeployVerify: an image refused where the policy enforces fails the build, both ways; failOnError: false answers') {
    Map config = [platform: 'examples/platform', env: 'exttest', layout: 'examples/platform/images', images: unsigned, processEnv: false]
    Map results = bothWays('ehdeployVerify', config)
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == "ehdeploy verify: 1 finding(s) at or above `error`: [signature/refused] `${unsigned}` (${unsignedDigest}) is refused in exttest: " +
                                 "no authority's signature verified (nordlab-ci: unsigned)": way
    }
    assert jenkins.echoed[0] == 'ehdeploy verify: 1 image(s): 0 allowed, 0 warned, 1 refused, 0 unverifiable'
    assert jenkins.echoed[1] == "  refused exttest - ${unsigned}@${unsignedDigest}: no authority's signature verified (nordlab-ci: unsigned)"
    assert jenkins.echoed[2] == "    nordlab-ci: no signature for registry.ehealth.example/nordlab/lab-results@${unsignedDigest} [unsigned]"
    results = bothWays('ehdeployVerify', config + [failOnError: false])
    results.each { way, result -> assert result instanceof Map: "${way}: ${result}" }
    assert results.cli == results.native
    assert results.cli == ehd.verify(platform: 'examples/platform', environment: 'exttest', layout: 'examples/platform/images',
                                     images: [unsigned], processEnv: false)
    assert results.cli.images*.verdict*.decision*.subMap(['allowed', 'mode', 'reason']) == [[allowed: false, mode: 'enforce', reason: 'unsigned']]
    assert results.cli.images*.verdict*.outcome == ['refused']
    assert results.cli.images[0].verdict.checks*.subMap(['reason', 'message']) ==
           [[reason: 'unsigned', message: "no signature for registry.ehealth.example/nordlab/lab-results@${unsignedDigest}".toString()]]
    assert results.cli.report.summary.errors == 1
    // The CLI path gives the image after `--`.
    step('ehdeployVerify', config + [failOnError: false])
    assert jenkins.commands[0].contains("'--no-process-env' '--format' 'json' '--' '${unsigned}' > ")
}

test('ehdeployVerify: an unreachable registry makes the image unverifiable, which fails the build, both ways') {
    String image = '127.0.0.1:9/team/app:1.0.0'
    Map config = [platform: 'examples/platform', env: 'inttest', images: [image], insecureRegistries: '127.0.0.1:9', processEnv: false]
    Map results = bothWays('ehdeployVerify', config)
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith("ehdeploy verify: 1 finding(s) at or above `error`: [signature/unverifiable] the signatures of `${image}` " +
                                         'could not be read: the registry 127.0.0.1:9 is unreachable after 3 attempt(s) '): way
    }
    assert jenkins.echoed[0] == 'ehdeploy verify: 1 image(s): 0 allowed, 0 warned, 0 refused, 1 unverifiable'
    assert jenkins.echoed[1].startsWith("  unverifiable inttest - ${image}: its signatures could not be read: the registry 127.0.0.1:9 is unreachable")
    // timeoutSeconds and retries reach the registry both ways: one attempt, no retry.
    results = bothWays('ehdeployVerify', config + [failOnError: false, timeoutSeconds: 5, retries: 0])
    results.each { way, result ->
        assert result instanceof Map: "${way}: ${result}"
        Map verdict = result.images[0].verdict as Map
        assert verdict.outcome == 'unverifiable': way
        assert verdict.unverifiable.startsWith('the registry 127.0.0.1:9 is unreachable after 1 attempt(s) '): way
        assert verdict.unverifiable.endsWith('[signature/unreachable]'): way
        assert verdict.decision.subMap(['allowed', 'reason']) == [allowed: false, reason: 'unverifiable']: way
        assert verdict.decision.message == "its signatures could not be read: ${verdict.unverifiable}".toString(): way
    }
    assert results.cli == results.native
    step('ehdeployVerify', config + [failOnError: false, timeoutSeconds: 5, retries: 0])
    assert jenkins.commands[0].contains("'--insecure-registry' '127.0.0.1:9' '--timeout-seconds' '5' '--retries' '0' ")
}

test('ehdeployVerify pin and write: the verified digest written into the spec, the same both ways') {
    Map copies = [cli: new File(scratch, 'verify-pin-cli'), native: new File(scratch, 'verify-pin-native')]
    String values = 'values/patient-api/preprod.yaml'
    String digestLine = "imageDigest: ${patientApiDigest}\n"
    Map results = [:]
    copies.each { String way, File copy ->
        copyTree(new File(root, 'examples/platform'), copy)
        File file = new File(copy, values)
        String unpinned = file.getText('UTF-8').replace(digestLine, '')
        file.setText(unpinned, 'UTF-8')
        Map config = [platform: copy.path, env: 'preprod', layout: "${copy.path}/images", processEnv: false, native: way == 'native']
        // Not pinned in preprod, which requires digests: an error; with pin, the file that pins it.
        def unpinnedResult = step('ehdeployVerify', config)
        assert unpinnedResult instanceof PipelineError: way
        assert unpinnedResult.message.startsWith('ehdeploy verify: 1 finding(s) at or above `error`: [image/digest-required] ' +
                                                 '`registry.ehealth.example/medilink/patient-api:3.14.2` must be pinned by digest in preprod: '): way
        def planned = step('ehdeployVerify', config + [pin: true, failOnError: false])
        assert planned instanceof Map: "${way}: ${planned}"
        assert planned.files == [[path: file.path, before: unpinned, after: unpinned + digestLine]]: way
        assert planned.written == false && file.getText('UTF-8') == unpinned: way
        assert jenkins.echoed.contains("  pin: ${file.path} would change".toString()): way
        results[way] = step('ehdeployVerify', config + [pin: true, write: true])
        assert results[way] instanceof Map: "${way}: ${results[way]}"
        assert results[way].written == true: way
        assert file.getText('UTF-8') == unpinned + digestLine: way
        assert results[way].report.findings == []: way
        assert jenkins.echoed.contains("  pin: ${file.path} written".toString()): way
        assert jenkins.errors.isEmpty(): way
        // Verified again: pinned now.
        Map again = step('ehdeployVerify', config + [pin: true]) as Map
        assert again.images[0].pinned == true && again.files == []: way
    }
    assert results.cli.images == results.native.images
    assert results.cli.files*.after == results.native.files*.after
}

test('ehdeployVerify with candidate, as and roles: signatures-verified evidence in its log, both ways') {
    Map copies = [cli: new File(scratch, 'verify-record-cli'), native: new File(scratch, 'verify-record-native')]
    String log = 'promotions/2026.11.24-1.jsonl'
    int entries = new File(root, "examples/platform/${log}").readLines().size()
    Map results = [:]
    copies.each { String way, File copy ->
        copyTree(new File(root, 'examples/platform'), copy)
        results[way] = step('ehdeployVerify', [platform: copy.path, env: 'inttest', layout: "${copy.path}/images",
                                               images: ['registry.ehealth.example/medilink/patient-api:3.14.2'],
                                               candidate: '2026.11.24-1', as: 'jenkins-test', roles: ['deployer'],
                                               processEnv: false, native: way == 'native'])
        assert results[way] instanceof Map: "${way}: ${results[way]}"
        assert jenkins.echoed[-1] == "ehdeploy verify: signatures-verified accepted in ${new File(copy, log).path}".toString(): way
        Map verified = ehd.call('verify_log', [platform: copy.path, candidate: '2026.11.24-1'])
        assert verified.ok && verified.entries == entries + 1: way
        assert parse(new File(copy, log).readLines()[-1]).event.kind == 'signatures-verified': way
    }
    results.each { String way, Map answer ->
        Map recorded = answer.recorded as Map
        assert recorded.decision == [outcome: 'accepted']: way
        assert recorded.entry.actor == [name: 'jenkins-test', roles: ['deployer']]: way
        assert recorded.entry.event == [type: 'evidence', environment: 'inttest', kind: 'signatures-verified', ok: true,
                                        note: "1 image(s) verified: registry.ehealth.example/medilink/patient-api@${patientApiDigest}".toString()]: way
    }
    assert results.cli.images == results.native.images
    // The build's user records when `as` is not given; the CLI gets `--candidate`, `--as` and `--roles`.
    jenkins.buildUser = 'erin'
    try {
        Map answer = step('ehdeployVerify', [platform: copies.cli.path, env: 'inttest', layout: "${copies.cli.path}/images",
                                             candidate: '2026.11.24-1', roles: ['deployer', 'qa'], processEnv: false]) as Map
        assert jenkins.commands[0].contains("'--candidate' '2026.11.24-1' '--as' 'erin' '--roles' 'deployer,qa' ")
        assert answer.recorded.entry.actor == [name: 'erin', roles: ['deployer', 'qa']]
        // lab-results is not allowed in inttest: the evidence is negative (and the warning does not fail the build).
        assert answer.recorded.entry.event.ok == false
        assert answer.recorded.entry.event.note.startsWith('refused: lab-results: ')
    } finally {
        jenkins.buildUser = null
    }
}

test('ehdeployVerify: no trust policy, an unknown environment, a missing layout or DSF fail the build, both ways') {
    Map q = questions.find { it.name == 'error-verify-no-trust-policy' } as Map
    Map request = parse(q.request as String)
    assert ehd.verify(request) == parse(answerText(q.name as String))
    Map results = bothWays('ehdeployVerify', [platform: request.platform, processEnv: false])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == "ehdeploy verify failed [usage]: ${parse(answerText(q.name as String)).error.message}".toString(): way
    }
    results = bothWays('ehdeployVerify', [platform: 'examples/platform', env: 'staging', layout: 'examples/platform/images'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy verify failed [usage]: environment `staging` is not in the platform file'): way
    }
    results = bothWays('ehdeployVerify', [platform: 'examples/platform', layout: 'no/such/layout'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy verify failed [io]: the OCI layout no/such/layout: '): way
    }
    // A DSF that is not there: `[io]` both ways (the CLI takes a target ending in .yaml for a DSF, never an image).
    results = bothWays('ehdeployVerify', [platform: 'examples/platform', env: 'inttest', layout: 'examples/platform/images',
                                          files: 'no/such/dsf.yaml'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message.startsWith('ehdeploy verify failed [io]: cannot read no/such/dsf.yaml: '): way
    }
    step('ehdeployVerify', [platform: 'examples/platform', env: 'inttest', layout: 'examples/platform/images', files: 'no/such/dsf.yaml'])
    assert jenkins.commands[0].contains("'--format' 'json' '--' 'no/such/dsf.yaml' > ")
    results = bothWays('ehdeployVerify', [platform: 'examples/platform', layout: 'examples/platform/images', candidate: 'c1', as: 'rm'])
    results.each { way, result ->
        assert result instanceof PipelineError: way
        assert result.message == 'ehdeploy verify failed [usage]: signatures are recorded as evidence for one environment: give the environment': way
    }
}

test('ehdeployVerify: write without pin, as without a candidate, a bad concurrency, timeout or retries, unknown parameters') {
    def result = step('ehdeployVerify', [platform: 'examples/platform', write: true])
    assert result instanceof PipelineError
    assert result.message == 'ehdeployVerify: `write` writes the pinned digests: give `pin: true` too'
    result = step('ehdeployVerify', [platform: 'examples/platform', as: 'rm'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployVerify: `as` and `roles` say who records in the log of `candidate`')
    result = step('ehdeployVerify', [platform: 'examples/platform', env: 'inttest', candidate: 'c1'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployVerify: `as` is required with `candidate`')
    result = step('ehdeployVerify', [platform: 'examples/platform', concurrency: 'many'])
    assert result instanceof PipelineError
    assert result.message == "ehdeployVerify: `concurrency` must be a whole number, 0 or more, not 'many'"
    result = step('ehdeployVerify', [platform: 'examples/platform', timeoutSeconds: '30s'])
    assert result instanceof PipelineError
    assert result.message == "ehdeployVerify: `timeoutSeconds` must be a whole number, 0 or more, not '30s'"
    result = step('ehdeployVerify', [platform: 'examples/platform', retries: -1])
    assert result instanceof PipelineError
    assert result.message == "ehdeployVerify: `retries` must be a whole number, 0 or more, not '-1'"
    result = step('ehdeployVerify', [platform: 'examples/platform', environment: 'inttest'])
    assert result instanceof PipelineError
    assert result.message.startsWith('ehdeployVerify: unknown parameter(s) environment; known: ')
    assert jenkins.commands.isEmpty()
}

prometheus.stop(0)

test('the CLI path leaves no scratch files behind') {
    assert !new File(tmp).list()
}

scratch.deleteDir()
println "${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
