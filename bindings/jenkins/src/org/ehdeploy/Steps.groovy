package org.ehdeploy

import com.cloudbees.groovy.cps.NonCPS

/**
 * What the ehdeploy* steps (vars/) do, in one place: merge the defaults, build the request,
 * ask ehdeploy through its CLI on the agent or in-process (`native: true`), fail the build
 * on an error answer, and report the findings.
 *
 *   new org.ehdeploy.Steps(this).check(platformDir: 'platform')   // from a vars/ script
 *
 * Both ways give the same result for the same question: the answer's JSON text, parsed by
 * EhDeploy.parse into plain maps and lists.
 *
 * The methods that run pipeline steps (sh, writeFile, echo, error, ...) are CPS code and
 * use no closures; the pure helpers are @NonCPS.
 */
class Steps implements Serializable {
    private static final long serialVersionUID = 1L

    /** The steps' defaults and parameters (common ones, and each step's own). */
    static final String DEFAULTS_RESOURCE = 'org/ehdeploy/defaults.json'

    /** The pipeline script the steps run in: sh, writeFile, readFile, echo, error, ... */
    private final def script

    Steps(script) {
        this.script = script
    }

    // ---- the steps ----------------------------------------------------------------------

    /** ehdeployValidate: the `validate` operation on desired-state files. */
    Map validate(Map given) {
        Map config = configure('ehdeployValidate', given)
        List files = asList(config.files)
        require('ehdeployValidate', 'files', files)
        Map request = withCommon(config, [
            files           : files,
            platform        : config.platform,
            environment     : config.env,
            substituteValues: config.substituteValues,
        ])
        Map report = ask(config, 'validate', request)
        render(config, 'validate', request)
        judge(config, report)
        return report
    }

    /** ehdeployCheck: the `check` operation on a whole platform repo. */
    Map check(Map given) {
        Map config = configure('ehdeployCheck', given)
        Map request = withCommon(config, [platformDir: config.platformDir])
        Map report = ask(config, 'check', request)
        render(config, 'check', request)
        judge(config, report)
        return report
    }

    /**
     * ehdeployPlan: `plan` from the `old` to the `new` files, or, given `from` and `to`,
     * `promotion_plan` of one environment of `platform` into another.
     */
    Map plan(Map given) {
        Map config = configure('ehdeployPlan', given)
        String op
        Map request
        if (config.from != null || config.to != null) {
            if (config.old != null || config['new'] != null) {
                script.error('ehdeployPlan: give either `old` and `new`, or `from` and `to`, not both')
            }
            op = 'promotion_plan'
            request = promotionRequest('ehdeployPlan', config)
        } else {
            op = 'plan'
            List oldFiles = asList(config.old)
            List newFiles = asList(config['new'])
            require('ehdeployPlan', 'old', oldFiles)
            require('ehdeployPlan', 'new', newFiles)
            request = withCommon(config, [
                'old'      : oldFiles,
                'new'      : newFiles,
                platform   : config.platform,
                environment: config.env,
            ])
        }
        Map result = ask(config, op, request)
        script.echo(planSummary(result.plan as Map))
        judge(config, result.report as Map)
        return result
    }

    /** ehdeployPromote: `promote_spec`, what promoting `from` into `to` changes (and, with `write`, writes it). */
    Map promote(Map given) {
        Map config = configure('ehdeployPromote', given)
        Map request = [promotion: promotionRequest('ehdeployPromote', config), write: config.write as boolean]
        Map result = ask(config, 'promote_spec', request)
        script.echo(promoteSummary(result))
        judge(config, result.report as Map)
        return result
    }

    /** ehdeployRelease's actions. */
    static final List<String> RELEASE_ACTIONS = ['status', 'event', 'verify-log', 'artifacts']

    /** The events whose `artifacts` ehdeployRelease fills from the spec when none are given. */
    static final List<String> ARTIFACT_EVENTS = ['candidate-created', 'deployed', 'promoted']

    /**
     * ehdeployRelease: a release candidate through the platform's pipeline: record an event
     * (`release_event`), its status (`release_status`), verify its audit log (`verify_log`),
     * or what an environment's spec carries (`release_artifacts`).
     */
    Map release(Map given) {
        Map config = configure('ehdeployRelease', given)
        if (!(config.action in RELEASE_ACTIONS)) {
            script.error("ehdeployRelease: `action` must be one of ${RELEASE_ACTIONS.join(', ')}, not '${config.action}'")
        }
        require('ehdeployRelease', 'platform', config.platform)
        if (config.action == 'artifacts') {
            Map answer = releaseArtifacts(config, config.environment as String)
            script.echo(artifactLines(config.environment as String, answer.artifacts as Map).join('\n'))
            return answer
        }
        require('ehdeployRelease', 'candidate', config.candidate)
        if (config.action == 'status') {
            Map answer = ask(config, 'release_status',
                             EhDeploy.compact([platform: config.platform, candidate: config.candidate, at: config.at]))
            script.echo(statusLines(answer.status as Map, config.candidate as String).join('\n'))
            return answer
        }
        if (config.action == 'verify-log') {
            Map answer = ask(config, 'verify_log',
                             EhDeploy.compact([platform: config.platform, candidate: config.candidate, head: config.head]))
            String summary = verifySummary(answer)
            script.echo(summary)
            if (!answer.ok && config.failOnError) {
                script.error(summary)
            }
            return answer
        }
        return releaseEvent(config)
    }

    /** ehdeployRelease(action: 'event'): decided and appended to the log; a refusal fails the build if asked to. */
    private Map releaseEvent(Map config) {
        Map event = config.event instanceof Map ? (Map) plainCopy(config.event) : null
        if (event == null || !event.type) {
            script.error("ehdeployRelease: `event` (a Map with its `type`) is required for action 'event'")
        }
        Map actor = releaseActor(config.actor)
        if (actor == null) {
            script.error('ehdeployRelease: `actor` is required ([name: ..., roles: [...]]): no user started this build')
        }
        if (event.type == 'candidate-created' && event.candidate == null) {
            event.candidate = config.candidate.toString()
        }
        if (event.type in ARTIFACT_EVENTS && event.artifacts == null) {
            event.artifacts = releaseArtifacts(config, artifactsEnvironment(event)).artifacts
        }
        Map answer = ask(config, 'release_event', EhDeploy.compact([platform : config.platform, candidate: config.candidate,
                                                           actor    : actor, event: event, at: config.at]))
        Map decision = answer.decision as Map
        script.echo(decisionLines(event.type as String, decision).join('\n'))
        if (decision.outcome != 'accepted' && config.failOnRefusal) {
            script.error(refusalMessage(event.type as String, decision))
        }
        return answer
    }

    /** `release_artifacts` of `environment` (null: the pipeline's first). */
    private Map releaseArtifacts(Map config, String environment) {
        return ask(config, 'release_artifacts', EhDeploy.compact([platform  : config.platform, environment: environment,
                                                         vars      : stringMap(config.vars as Map),
                                                         processEnv: config.processEnv as boolean]))
    }

    /**
     * The actor: `actor` ([name:, roles:], or a name), its name defaulting to the user who
     * started the build; null when there is none.
     */
    private Map releaseActor(given) {
        Map actor = given instanceof Map ? (Map) plainCopy(given) : (given != null ? [name: given.toString()] : [:])
        if (!actor.name) {
            String user = buildUser()
            if (!user) {
                return null
            }
            actor.name = user
        }
        actor.roles = asList(actor.roles)
        return actor
    }

    /** The id of the user who started the build (`currentBuild`'s causes, else BUILD_USER_ID), or null. */
    private String buildUser() {
        try {
            List causes = script.currentBuild.getBuildCauses('hudson.model.Cause$UserIdCause') as List
            if (causes && causes[0].userId) {
                return causes[0].userId.toString()
            }
        } catch (Exception ignored) {
            // No currentBuild (or no getBuildCauses): try the environment.
        }
        try {
            def user = script.env?.BUILD_USER_ID
            if (user) {
                return user.toString()
            }
        } catch (Exception ignored) {
            // No env either.
        }
        return null
    }

    /** The roll-out states that need a person: ehdeployRollout fails the build on them. */
    static final List<String> ROLLOUT_PROBLEM_STATES = ['stalled', 'degraded', 'unknown']

    /**
     * ehdeployRollout: `rollout_health`, how each app's roll-out stands, from the objects of
     * `kubectl get deploy,rs,pods -o json`: a file (`objects`), or fetched from `namespace`
     * with `kubectl` on the agent first. With `candidate` (and `as`, `roles`), a finished
     * roll-out is recorded in the candidate's audit log as `deployed-healthy` evidence.
     */
    Map rollout(Map given) {
        Map config = configure('ehdeployRollout', given)
        boolean fetch = config.objects == null || config.objects == ''
        if (fetch) {
            if (config.namespace == null || config.namespace == '') {
                script.error('ehdeployRollout: `objects` (a file) or `namespace` (to run kubectl in) is required')
            }
        } else if (config.namespace != null) {
            script.error('ehdeployRollout: give either `objects` or `namespace`, not both')
        }
        Map actor = recordingActor('ehdeployRollout', config)
        String objects = fetch ? kubectlObjects(config) : config.objects.toString()
        Map answer
        try {
            answer = ask(config, 'rollout_health', EhDeploy.compact([objects    : objects,
                                                            platform   : config.platform,
                                                            environment: config.env,
                                                            apps       : asList(config.apps),
                                                            candidate  : config.candidate,
                                                            actor      : actor]))
        } finally {
            if (fetch) {
                script.sh(script: "rm -f ${shellQuote(objects)}", returnStatus: true)
            }
        }
        script.echo((rolloutLines(answer.apps as List) + recordedLines('rollout', answer.recorded as Map)).join('\n'))
        Map recorded = answer.recorded as Map
        if (recorded != null && recorded.decision.outcome != 'accepted') {
            script.error(recordRefusal('rollout', recorded))
        }
        List<String> problems = rolloutProblems(answer.apps as List)
        if (!problems.isEmpty() && config.failOnProblem) {
            script.error("ehdeploy rollout: ${problems.size()} app(s) need a person: ${problems.join('; ')}")
        }
        return answer
    }

    /**
     * Who records an event in `candidate`'s audit log (ehdeployRollout, ehdeployRollback):
     * [name: `as`, roles: `roles`], the name defaulting to the user who started the build; null
     * without a candidate. `as` or `roles` without a candidate, or no name at all, fail the build.
     */
    private Map recordingActor(String step, Map config) {
        if (config.candidate == null || config.candidate == '') {
            if (config['as'] != null || asList(config.roles)) {
                script.error("${step}: `as` and `roles` say who records in the log of `candidate`: give the candidate too")
            }
            return null
        }
        String name = config['as'] ? config['as'].toString() : buildUser()
        if (!name) {
            script.error("${step}: `as` is required with `candidate` (who records it): no user started this build")
        }
        return [name: name, roles: asList(config.roles)]
    }

    /**
     * `<kubectl> get deploy,rs,pods -n <namespace> -o json > <tmpDir>/kubectl-<uuid>.json` on
     * the agent; the file's path (absolute under the workspace for `native`, which reads it
     * on the controller).
     */
    private String kubectlObjects(Map config) {
        String file = "${config.tmpDir}/kubectl-${UUID.randomUUID()}.json"
        if (config['native'] && !file.startsWith('/')) {
            String workspace = workspaceDir()
            if (workspace) {
                file = "${workspace}/${file}"
            }
        }
        String command = "mkdir -p ${shellQuote(config.tmpDir as String)} && " +
                         "${config.kubectl} get deploy,rs,pods -n ${shellQuote(config.namespace as String)} -o json > ${shellQuote(file)}"
        int status = script.sh(script: command, returnStatus: true) as int
        if (status != 0) {
            script.sh(script: "rm -f ${shellQuote(file)}", returnStatus: true)
            script.error("ehdeployRollout: `${config.kubectl} get deploy,rs,pods -n ${config.namespace} -o json` exited with status ${status}")
        }
        return file
    }

    /** The build's workspace (`env.WORKSPACE`), or null. */
    private String workspaceDir() {
        try {
            def workspace = script.env?.WORKSPACE
            return workspace ? workspace.toString() : null
        } catch (Exception ignored) {
            return null
        }
    }

    /** ehdeployCanary's modes, and the parameters of each (beside the common ones). */
    static final Map<String, List<String>> CANARY_MODES = [
        decide   : ['analysis', 'state', 'samples', 'failOnRollBack'],
        analyze  : ['platform', 'env', 'app', 'prometheus', 'since', 'at', 'candidate', 'actor', 'timeoutSeconds',
                    'retries', 'failOnRollBack', 'failOnRefusal'],
        resources: ['platform', 'env', 'apps', 'output'],
    ]

    /**
     * ehdeployCanary: `canary_decide`, the decision after one check of a canary analysis
     * (`mode: 'decide'`, the default); `canary_analyze`, a canary's whole analysis from
     * Prometheus (`mode: 'analyze'`); or `canary_resources`, the Flagger objects of an
     * environment's canaries, written to a file (`mode: 'resources'`).
     */
    Map canary(Map given) {
        Map config = configure('ehdeployCanary', given)
        if (!(config.mode in CANARY_MODES.keySet())) {
            script.error("ehdeployCanary: `mode` must be one of ${CANARY_MODES.keySet().join(', ')}, not '${config.mode}'")
        }
        List<String> foreign = foreignKeys(CANARY_MODES, config.mode as String, given)
        if (!foreign.isEmpty()) {
            script.error("ehdeployCanary: ${foreign.join(', ')} not for mode '${config.mode}', " +
                         "whose parameters are ${CANARY_MODES[config.mode].join(', ')}")
        }
        if (config.mode == 'analyze') {
            return canaryAnalyze(config)
        }
        if (config.mode == 'resources') {
            return canaryResources(config)
        }
        return canaryDecide(config)
    }

    /** ehdeployCanary(mode: 'decide'). */
    private Map canaryDecide(Map config) {
        if (!(config.analysis instanceof Map)) {
            script.error('ehdeployCanary: `analysis` (a Map: threshold, stepWeight or stepWeights, metrics, ...) is required')
        }
        if (!(config.samples instanceof Map)) {
            script.error('ehdeployCanary: `samples` (a Map by metric name: [value: n], \'no-data\' or [error: \'...\']) is required')
        }
        if (config.state != null && !(config.state instanceof Map)) {
            script.error('ehdeployCanary: `state` must be a Map (weight, failedChecks, inconclusiveChecks): the last decision\'s `state`')
        }
        Map answer = ask(config, 'canary_decide', EhDeploy.compact([analysis: plainCopy(config.analysis),
                                                           state   : plainCopy(config.state),
                                                           samples : plainCopy(config.samples)]))
        script.echo(canaryLines(answer).join('\n'))
        if (answer.action == 'roll-back' && config.failOnRollBack) {
            script.error("ehdeploy canary: roll-back: ${answer.reason}")
        }
        return answer
    }

    /**
     * ehdeployCanary(mode: 'analyze'): `canary_analyze`, through `<cli> canary analyze ...
     * --format json` on the agent (where Prometheus is reachable), or in-process with `native`.
     */
    private Map canaryAnalyze(Map config) {
        for (String key in ['platform', 'env', 'app']) {
            require('ehdeployCanary', key, config[key])
        }
        requireWholeNumbers('ehdeployCanary', config, ['timeoutSeconds', 'retries'])
        Map actor = null
        if (config.candidate != null) {
            actor = releaseActor(config.actor)
            if (actor == null) {
                script.error('ehdeployCanary: `actor` is required with `candidate` ([name: ..., roles: [...]]): no user started this build')
            }
        } else if (config.actor != null) {
            script.error('ehdeployCanary: `actor` records the outcome in the log of `candidate`: give the candidate too')
        }
        Map request = EhDeploy.compact([platform      : config.platform, environment: config.env, app: config.app,
                               prometheus    : config.prometheus, since: config.since, at: config.at,
                               candidate     : config.candidate, actor: actor,
                               timeoutSeconds: config.timeoutSeconds, retries: config.retries])
        Map answer = config['native'] ? ask(config, 'canary_analyze', request) : canaryAnalyzeCli(config, request)
        script.echo(canaryRunLines(answer).join('\n'))
        Map recorded = answer.recorded as Map
        Map run = answer.run as Map
        if (run.action == 'roll-back' && config.failOnRollBack) {
            script.error("ehdeploy canary: roll-back: ${(run.checks as List)[-1].decision.reason}")
        }
        if (recorded != null && recorded.decision.outcome != 'accepted' && config.failOnRefusal) {
            script.error(evidenceRefusal(recorded.decision as Map))
        }
        return answer
    }

    /**
     * `<cli> canary analyze ... --format json` on the agent. Exit status 0 or 1 (rolled back,
     * or the evidence refused) is an answer; 2 an error.
     */
    private Map canaryAnalyzeCli(Map config, Map request) {
        return subcommandCli(config, 'canary_analyze', 'canary analyze', canaryAnalyzeArguments(request), [0, 1])
    }

    /**
     * `<cli> <subcommand> <arguments> > answer.json 2> error.txt` on the agent, for the
     * subcommands that print their answer as JSON and their errors as text. An exit status in
     * `answered` with an answer is the answer; 2 an error, whose `error[code]: message` fails
     * the build as an error answer does with `native`.
     */
    private Map subcommandCli(Map config, String op, String subcommand, String arguments, List<Integer> answered) {
        String base = "${config.tmpDir}/${op}-${UUID.randomUUID()}"
        String answerFile = "${base}.answer.json"
        String errorFile = "${base}.error.txt"
        String command = "mkdir -p ${shellQuote(config.tmpDir as String)} && " +
                         "${config.cli} ${subcommand} ${arguments} " +
                         "> ${shellQuote(answerFile)} 2> ${shellQuote(errorFile)}"
        try {
            int status = script.sh(script: command, returnStatus: true) as int
            String answer = script.fileExists(answerFile) ? script.readFile(file: answerFile, encoding: 'UTF-8') as String : ''
            if (answered.contains(status) && answer) {
                return EhDeploy.parse(answer)
            }
            String stderr = script.fileExists(errorFile) ? script.readFile(file: errorFile, encoding: 'UTF-8') as String : ''
            Map error = cliError(stderr)
            if (status == 2 && error != null) {
                script.error("ehdeploy ${op} failed [${error.code}]: ${error.message}")
            }
            script.error("ehdeploy ${op} failed: `${config.cli} ${subcommand}` exited with status ${status}" +
                         (stderr.trim() ? ": ${stderr.trim()}" : ' and no answer'))
            return null
        } finally {
            script.sh(script: "rm -f ${shellQuote(answerFile)} ${shellQuote(errorFile)}", returnStatus: true)
        }
    }

    /**
     * ehdeployCanary(mode: 'resources'): `canary_resources`, the Kubernetes List of the Flagger
     * objects written to `output` exactly as ehdeploy prints it (`<cli> canary resources ... >
     * output` on the agent; with `native`, the library's answer written by `writeFile`).
     */
    private Map canaryResources(Map config) {
        for (String key in ['platform', 'env']) {
            require('ehdeployCanary', key, config[key])
        }
        List apps = asList(config.apps)
        boolean keep = config.output != null && config.output != ''
        String file = keep ? config.output.toString() : "${config.tmpDir}/canary_resources-${UUID.randomUUID()}.json"
        Map list
        try {
            if (config['native']) {
                String text = nativeJson(config, 'canary_resources',
                                         EhDeploy.compact([platform: config.platform, environment: config.env, apps: apps ?: null]))
                Map answer = EhDeploy.parse(text)
                if (answer.error != null) {
                    script.sh(script: "rm -f ${shellQuote(file)}", returnStatus: true)
                    script.error("ehdeploy canary_resources failed [${answer.error.code}]: ${answer.error.message}")
                }
                script.writeFile(file: file, text: text + '\n', encoding: 'UTF-8')
            } else {
                canaryResourcesCli(config, file, apps)
            }
            list = EhDeploy.parse(script.readFile(file: file, encoding: 'UTF-8') as String)
        } finally {
            if (!keep) {
                script.sh(script: "rm -f ${shellQuote(file)}", returnStatus: true)
            }
        }
        script.echo(resourceLines(config.env as String, keep ? file : null, list).join('\n'))
        return list
    }

    /** `<cli> canary resources --platform P --env E [--app a,b] > file 2> error.txt` on the agent; no file on an error. */
    private void canaryResourcesCli(Map config, String file, List apps) {
        String errorFile = "${config.tmpDir}/canary_resources-${UUID.randomUUID()}.error.txt"
        String command = "mkdir -p ${shellQuote(config.tmpDir as String)} \"\$(dirname -- ${shellQuote(file)})\" && " +
                         "${config.cli} canary resources ${canaryResourcesArguments(config.platform as String, config.env as String, apps)} " +
                         "> ${shellQuote(file)} 2> ${shellQuote(errorFile)}"
        try {
            int status = script.sh(script: command, returnStatus: true) as int
            if (status == 0) {
                return
            }
            String stderr = script.fileExists(errorFile) ? script.readFile(file: errorFile, encoding: 'UTF-8') as String : ''
            // Not the List: no file, so that nothing half-written is applied.
            script.sh(script: "rm -f ${shellQuote(file)}", returnStatus: true)
            Map error = cliError(stderr)
            if (status == 2 && error != null) {
                script.error("ehdeploy canary_resources failed [${error.code}]: ${error.message}")
            }
            script.error("ehdeploy canary_resources failed: `${config.cli} canary resources` exited with status ${status}" +
                         (stderr.trim() ? ": ${stderr.trim()}" : ''))
        } finally {
            script.sh(script: "rm -f ${shellQuote(errorFile)}", returnStatus: true)
        }
    }

    /**
     * ehdeployRollback: `rollback`, an app (or every app of `env`) back to the last revision of
     * the spec's git history where it ran something else and was healthy by record (or to `to`):
     * the plan, and with `write` a new commit on the current branch (and, with `candidate`, a
     * `rolled-back` event in its audit log). Through `<cli> rollback ... --format json` on the
     * agent, where the work tree is, or in-process with `native`.
     */
    Map rollback(Map given) {
        Map config = configure('ehdeployRollback', given)
        for (String key in ['repo', 'env']) {
            require('ehdeployRollback', key, config[key])
        }
        Map actor = recordingActor('ehdeployRollback', config)
        Map request = EhDeploy.compact([repo     : config.repo, platform: config.platform, environment: config.env,
                               app      : config.app, to: config.to, write: config.write as boolean,
                               candidate: config.candidate, actor: actor])
        Map answer = config['native'] ? ask(config, 'rollback', request) : rollbackCli(config, request)
        List<String> lines = rollbackLines(answer) + findingLines(answer.report as Map) +
                             recordedLines('rollback', answer.recorded as Map)
        script.echo(lines.join('\n'))
        Map recorded = answer.recorded as Map
        if (recorded != null && recorded.decision.outcome != 'accepted') {
            script.error(recordRefusal('rollback', recorded))
        }
        return answer
    }

    /** `<cli> rollback ... --format json` on the agent. Exit status 0 is an answer; 2 an error. */
    private Map rollbackCli(Map config, Map request) {
        return subcommandCli(config, 'rollback', 'rollback', rollbackArguments(request), [0])
    }

    /**
     * ehdeployVerify: `verify`, the images of the platform's environments (or of `env`, of the
     * DSFs `files`, and the image references `images`) against the platform file's trust
     * policy, offline from the OCI layout `layout` or from their registries, with the Sigstore
     * bundle files of the folders `bundles`: one verdict per image; with `pin` the verified digests as file changes (written with `write`); with
     * `candidate` the result as `signatures-verified` evidence in its audit log. Registry
     * requests take at most `timeoutSeconds` each and are tried again `retries` times. Through
     * `<cli> verify ... --format json` on the agent, where the registries and the docker
     * credentials are, or in-process with `native`. Fails the build on findings at or above
     * `failOn` (an image refused where the policy enforces, or unverifiable; not one it only
     * warns about), unless `failOnError: false`, and on refused evidence.
     */
    Map verify(Map given) {
        Map config = configure('ehdeployVerify', given)
        require('ehdeployVerify', 'platform', config.platform)
        requireWholeNumbers('ehdeployVerify', config, ['concurrency', 'timeoutSeconds', 'retries'])
        if (config.write && !config.pin) {
            // The CLI's own check (`--write` requires `--pin`) answers no error JSON: say it here, for both ways.
            script.error('ehdeployVerify: `write` writes the pinned digests: give `pin: true` too')
        }
        Map actor = recordingActor('ehdeployVerify', config)
        Map registry = EhDeploy.compact([insecure      : asList(config.insecureRegistries) ?: null,
                                         dockerConfig  : config.dockerConfig,
                                         caCertificates: asList(config.caCertificates) ?: null,
                                         timeoutSeconds: config.timeoutSeconds, retries: config.retries])
        Map request = withCommon(config, [platform   : config.platform, environment: config.env,
                                          files      : asList(config.files) ?: null, images: asList(config.images) ?: null,
                                          layout     : config.layout, bundles: asList(config.bundles) ?: null,
                                          registry   : registry ?: null,
                                          concurrency: config.concurrency, pin: config.pin as boolean,
                                          write      : config.write as boolean, candidate: config.candidate, actor: actor])
        Map answer = config['native'] ? ask(config, 'verify', request) : verifyCli(config, request)
        Map report = answer.report as Map
        List<String> lines = verdictLines(answer) + [reportSummary(report)] + findingLines(report) +
                             recordedLines('verify', answer.recorded as Map)
        script.echo(lines.join('\n'))
        Map recorded = answer.recorded as Map
        if (recorded != null && recorded.decision.outcome != 'accepted') {
            script.error(recordRefusal('verify', recorded))
        }
        if (config.failOnError && fails(report, config.failOn as String)) {
            script.error(findingsFailure('verify', report, config.failOn as String))
        }
        return answer
    }

    /** `<cli> verify ... --format json` on the agent. Exit status 0 or 1 (findings at or above `error`) is an answer; 2 an error. */
    private Map verifyCli(Map config, Map request) {
        return subcommandCli(config, 'verify', 'verify', verifyArguments(request), [0, 1])
    }

    // ---- asking ehdeploy ----------------------------------------------------------------

    /** The answer of `op` on `request`, through the CLI or in-process; fails the build on an error answer. */
    Map ask(Map config, String op, Map request) {
        Map answer = config['native'] ? askNative(config, op, request) : askCli(config, op, request)
        if (answer.error != null) {
            script.error("ehdeploy ${op} failed [${answer.error.code}]: ${answer.error.message}")
        }
        return answer
    }

    /** In this JVM (the controller's, in Jenkins), through the C ABI. */
    @NonCPS
    private static Map askNative(Map config, String op, Map request) {
        return new EhDeploy(config.libDir as String).call(op, request)
    }

    /** The answer's JSON text of `op` in this JVM, through the C ABI (an error's JSON too). */
    @NonCPS
    private static String nativeJson(Map config, String op, Map request) {
        return new EhDeploy(config.libDir as String).callJson(op, EhDeploy.toJson(request))
    }

    /**
     * On the agent: `<cli> call <op> @request.json > answer.json`. Exit status 0 is an
     * answer, 2 an error answer; anything else (no CLI, killed...) fails the build.
     */
    private Map askCli(Map config, String op, Map request) {
        String base = "${config.tmpDir}/${op}-${UUID.randomUUID()}"
        String requestFile = "${base}.request.json"
        String answerFile = "${base}.answer.json"
        script.writeFile(file: requestFile, text: EhDeploy.toJson(request), encoding: 'UTF-8')
        try {
            int status = script.sh(script: "${config.cli} call ${op} @${shellQuote(requestFile)} > ${shellQuote(answerFile)}",
                                   returnStatus: true) as int
            if ((status == 0 || status == 2) && script.fileExists(answerFile)) {
                return EhDeploy.parse(script.readFile(file: answerFile, encoding: 'UTF-8') as String)
            }
            script.error("ehdeploy ${op} failed: `${config.cli} call` exited with status ${status} and no answer")
            return null
        } finally {
            script.sh(script: "rm -f ${shellQuote(requestFile)} ${shellQuote(answerFile)}", returnStatus: true)
        }
    }

    /**
     * SARIF and JUnit files (`sarif:`/`junit:`), rendered by the CLI on the agent (even with
     * `native: true`: the renderers are the CLI's): `<cli> validate|check ... --format F > file`.
     */
    private void render(Map config, String op, Map request) {
        for (String format in ['sarif', 'junit']) {
            if (config[format]) {
                String command = "${config.cli} ${op} ${cliArguments(op, request, format)} > ${shellQuote(config[format] as String)}"
                int status = script.sh(script: command, returnStatus: true) as int
                // 1 only says that there are findings at or above --fail-on: judge() decides.
                if (status != 0 && status != 1) {
                    script.error("ehdeploy ${op} --format ${format} failed with exit status ${status}")
                }
            }
        }
    }

    /** Echo the summary and the findings; fail the build when asked to and they call for it. */
    private void judge(Map config, Map report) {
        if (report == null) {
            return
        }
        String summary = reportSummary(report)
        script.echo(summary)
        List<String> lines = findingLines(report)
        if (!lines.isEmpty()) {
            script.echo(lines.join('\n'))
        }
        if (config.failOnError && fails(report, config.failOn as String)) {
            script.error("${summary} (failing on findings at or above `${config.failOn}`)")
        }
    }

    // ---- configuration and requests -----------------------------------------------------

    /** The defaults, overridden by the step's configuration; unknown parameters fail the build. */
    Map configure(String step, Map given) {
        Map defaults = EhDeploy.parse(script.libraryResource(DEFAULTS_RESOURCE) as String)
        Map config = merge(defaults.common as Map, (defaults.steps as Map)[step] as Map)
        List<String> unknown = unknownKeys(config, given)
        if (!unknown.isEmpty()) {
            script.error("${step}: unknown parameter(s) ${unknown.join(', ')}; known: ${config.keySet().sort().join(', ')}")
        }
        config = merge(config, given)
        if (!(config.failOn in ['error', 'warning'])) {
            script.error("${step}: failOn must be 'error' or 'warning', not '${config.failOn}'")
        }
        return config
    }

    /** The promotion request of `ehdeployPlan` (from/to) and `ehdeployPromote`. */
    private Map promotionRequest(String step, Map config) {
        for (String key in ['platform', 'from', 'to']) {
            require(step, key, config[key])
        }
        return withCommon(config, [
            platform: config.platform,
            from    : config.from,
            to      : config.to,
            apps    : asList(config.apps),
        ])
    }

    private void require(String step, String key, value) {
        if (value == null || value == '' || value == []) {
            script.error("${step}: `${key}` is required")
        }
    }

    /** Each of `keys` of `config` unset (null) or a whole number, 0 or more. */
    private void requireWholeNumbers(String step, Map config, List<String> keys) {
        for (String key in keys) {
            if (config[key] != null && !((config[key] instanceof Integer || config[key] instanceof Long) && config[key] >= 0)) {
                script.error("${step}: `${key}` must be a whole number, 0 or more, not '${config[key]}'")
            }
        }
    }

    /** `request` with the parameters every operation takes, minus those left unset (null). */
    @NonCPS
    private static Map withCommon(Map config, Map request) {
        Map all = new LinkedHashMap(request)
        all.vars = stringMap(config.vars as Map)
        all.processEnv = config.processEnv as boolean
        all.maxFileBytes = config.maxFileBytes
        return EhDeploy.compact(all)
    }

    // ---- pure helpers -------------------------------------------------------------------

    @NonCPS
    static Map merge(Map base, Map overrides) {
        Map result = new LinkedHashMap(base ?: [:])
        result.putAll(overrides ?: [:])
        return result
    }

    @NonCPS
    static List<String> unknownKeys(Map known, Map given) {
        return (given ?: [:]).keySet().findAll { !known.containsKey(it) }.collect { it.toString() }.sort()
    }

    /** A list of strings from a list or a single value (`files: 'a.yaml'`). */
    @NonCPS
    static List asList(value) {
        if (value == null) {
            return []
        }
        Collection values = value instanceof Collection ? (Collection) value : [value]
        return values.collect { it.toString() }
    }

    @NonCPS
    static Map stringMap(Map map) {
        Map result = [:]
        (map ?: [:]).each { key, value -> result[key.toString()] = value.toString() }
        return result
    }

    /** Whether the report has findings at or above `failOn` ('error' or 'warning'). */
    @NonCPS
    static boolean fails(Map report, String failOn) {
        Map summary = report.summary as Map
        int count = summary.errors as int
        if (failOn == 'warning') {
            count += summary.warnings as int
        }
        return count > 0
    }

    /** `ehdeploy: 21 errors, 2 warnings in 5 files` */
    @NonCPS
    static String reportSummary(Map report) {
        Map summary = report.summary as Map
        return "ehdeploy: ${summary.errors} errors, ${summary.warnings} warnings in ${summary.files} files"
    }

    /** `error image/tag-latest envs/test.yaml:26:17 image ... uses the tag latest`, one per finding. */
    @NonCPS
    static List<String> findingLines(Map report) {
        return (report.findings as List).collect { Map finding ->
            Map at = finding.location as Map
            String where = at ? "${at.file}:${at.line}:${at.column}" : '-'
            "${finding.severity} ${finding.rule} ${where} ${finding.message}".toString()
        }
    }

    /** `ehdeploy plan: 0 create, 1 change, 0 remove, 7 noop, 0 protected, 0 risks` */
    @NonCPS
    static String planSummary(Map plan) {
        Map summary = plan.summary as Map
        return "ehdeploy plan: ${summary.create} create, ${summary.change} change, ${summary.remove} remove, " +
               "${summary.noop} noop, ${summary['protected']} protected, ${summary.risks} risks"
    }

    /** `ehdeploy promote: 1 file(s) would change: a.yaml` (or `written:`). */
    @NonCPS
    static String promoteSummary(Map result) {
        List paths = (result.files as List).collect { it.path }
        String verb = result.written ? 'written' : 'would change'
        return "ehdeploy promote: ${paths.size()} file(s) ${verb}${paths ? ': ' + paths.join(', ') : ''}"
    }

    /** A deep copy with String keys and GStrings as Strings (a request's maps from pipeline code). */
    @NonCPS
    static plainCopy(value) {
        if (value instanceof Map) {
            Map copy = [:]
            ((Map) value).each { key, item -> copy[key.toString()] = plainCopy(item) }
            return copy
        }
        if (value instanceof Collection) {
            return ((Collection) value).collect { plainCopy(it) }
        }
        return value instanceof GString ? value.toString() : value
    }

    /** The environment whose artifacts an event carries: `deployed`'s, `promoted`'s target, else null (the first). */
    @NonCPS
    static String artifactsEnvironment(Map event) {
        if (event.type == 'deployed') {
            return event.environment as String
        }
        return event.type == 'promoted' ? event.to as String : null
    }

    /** `[gate/missing-evidence] missing qa-approved in inttest` */
    @NonCPS
    static String reasonText(Map reason) {
        return "[${reason.code}] ${reason.message}".toString()
    }

    /** `ehdeploy release: promoted refused` and one indented line per reason. */
    @NonCPS
    static List<String> decisionLines(String type, Map decision) {
        List<String> lines = ["ehdeploy release: ${type} ${decision.outcome}".toString()]
        (decision.reasons as List ?: []).each { Map reason -> lines << "  ${reasonText(reason)}".toString() }
        return lines
    }

    /** `ehdeploy release: promoted refused: [code] message; [code] message` */
    @NonCPS
    static String refusalMessage(String type, Map decision) {
        List reasons = (decision.reasons as List ?: []).collect { reasonText(it as Map) }
        return "ehdeploy release: ${type} ${decision.outcome}${reasons ? ': ' + reasons.join('; ') : ''}".toString()
    }

    /**
     * `ehdeploy release 2026.11.24-1 (revision abc): inttest deployed, exttest not-reached, ...`,
     * then the next steps: `allowed <action> <environment>: <message>` or `blocked ...` and
     * its reasons, indented.
     */
    @NonCPS
    static List<String> statusLines(Map status, String candidate) {
        List<String> lines = []
        if (status.candidate == null) {
            lines << "ehdeploy release ${candidate}: no candidate yet".toString()
        } else {
            String places = (status.environments as List).collect { "${it.environment} ${it.place}" }.join(', ')
            lines << "ehdeploy release ${status.candidate} (revision ${status.revision}): ${places}".toString()
        }
        (status.next as List).each { Map step ->
            String where = step.environment ? " ${step.environment}" : ''
            lines << "  ${step.allowed ? 'allowed' : 'blocked'} ${step.action}${where}: ${step.message}".toString()
            (step.reasons as List ?: []).each { Map reason -> lines << "      ${reasonText(reason)}".toString() }
        }
        return lines
    }

    /** `ehdeploy release: audit log L verifies: N entries, head H` or `... does not verify at line N: message (code)` */
    @NonCPS
    static String verifySummary(Map answer) {
        if (answer.ok) {
            return "ehdeploy release: audit log ${answer.log} verifies: ${answer.entries} entries, head ${answer.head}".toString()
        }
        Map problem = answer.problem as Map
        return "ehdeploy release: audit log ${answer.log} does not verify at line ${problem.line}: ${problem.message} (${problem.code})".toString()
    }

    /** `ehdeploy release: 8 app(s) in inttest`, then `  app chart version image@digest` per app. */
    @NonCPS
    static List<String> artifactLines(String environment, Map artifacts) {
        List<String> lines = ["ehdeploy release: ${artifacts.size()} app(s) in ${environment ?: 'the first environment'}".toString()]
        artifacts.each { String app, Map artifact ->
            String image = artifact.image ? " ${artifact.image}${artifact.digest ? '@' + artifact.digest : ''}" : ''
            lines << "  ${app} ${artifact.chart} ${artifact.version}${image}".toString()
        }
        return lines
    }

    /**
     * One line per app, `patient-api stalled fix-configuration-or-roll-back: <reason>`, and
     * one indented line per problem: `pod/container: reason, N restarts; probe failing; last state ...; message`.
     */
    @NonCPS
    static List<String> rolloutLines(List apps) {
        if (!apps) {
            return ['ehdeploy rollout: no deployments found']
        }
        List<String> lines = []
        apps.each { Map app ->
            lines << "${app.app} ${app.state} ${app.next}: ${app.reason}".toString()
            (app.problems as List ?: []).each { Map problem ->
                List<String> parts = ["${problem.reason}, ${problem.restarts} restarts".toString()]
                if (problem.probe) {
                    parts << "${problem.probe} failing".toString()
                }
                if (problem.lastState) {
                    parts << "last state ${problem.lastState}".toString()
                }
                if (problem.message) {
                    parts << problem.message.toString()
                }
                lines << "  ${problem.pod}/${problem.container}: ${parts.join('; ')}".toString()
            }
        }
        return lines
    }

    /** `patient-api stalled, next fix-configuration-or-roll-back` for each app that needs a person. */
    @NonCPS
    static List<String> rolloutProblems(List apps) {
        return (apps ?: []).findAll { Map app -> app.state in ROLLOUT_PROBLEM_STATES }.collect { Map app ->
            "${app.app} ${app.state}, next ${app.next}".toString()
        }
    }

    /** `ehdeploy canary: continue at weight 20: <reason>`, then `  metric verdict: note` per metric. */
    @NonCPS
    static List<String> canaryLines(Map answer) {
        List<String> lines = ["ehdeploy canary: ${answer.action} at weight ${answer.state?.weight}: ${answer.reason}".toString()]
        (answer.checks as List ?: []).each { Map check ->
            lines << "  ${check.metric} ${check.verdict}: ${check.note}".toString()
        }
        return lines
    }

    /** The parameters `given` that belong to another mode of `modes` than `mode` only, as `` `name` ``. */
    @NonCPS
    static List<String> foreignKeys(Map<String, List<String>> modes, String mode, Map given) {
        List<String> own = modes[mode] ?: []
        Set<String> all = modes.values().flatten().collect { it.toString() } as Set
        return (given ?: [:]).keySet().collect { it.toString() }.findAll { it in all && !(it in own) }.sort().collect { "`${it}`".toString() }
    }

    /** The CLI's error on stderr, `error[code]: message` (then `  help: ...`), as [code:, message:]; null if it is not one. */
    @NonCPS
    static Map cliError(String stderr) {
        def match = (stderr ?: '') =~ /(?s)\Aerror\[([a-z-]+)\]: (.*?)(?:\n  help: .*)?\n?\z/
        return match.matches() ? [code: match.group(1), message: match.group(2)] : null
    }

    /** The CLI arguments of `ehdeploy canary analyze` asking what the `canary_analyze` request asks. */
    @NonCPS
    static String canaryAnalyzeArguments(Map request) {
        List<String> args = ['--platform', request.platform as String, '--env', request.environment as String,
                             '--app', request.app as String]
        [prometheus: '--prometheus', since: '--since', at: '--at', candidate: '--candidate',
         timeoutSeconds: '--timeout', retries: '--retries'].each { String key, String flag ->
            if (request[key] != null) {
                args += [flag, request[key].toString()]
            }
        }
        args += actorArguments(request.actor as Map)
        args += ['--format', 'json']
        return args.collect { shellQuote(it) }.join(' ')
    }

    /** The CLI arguments of `ehdeploy rollback` asking what the `rollback` request asks. */
    @NonCPS
    static String rollbackArguments(Map request) {
        List<String> args = ['--repo', request.repo as String, '--env', request.environment as String]
        [platform: '--platform', app: '--app', to: '--to', candidate: '--candidate'].each { String key, String flag ->
            if (request[key] != null) {
                args += [flag, request[key].toString()]
            }
        }
        if (request.write) {
            args << '--write'
        }
        args += actorArguments(request.actor as Map)
        args += ['--format', 'json']
        return args.collect { shellQuote(it) }.join(' ')
    }

    /**
     * `ehdeploy rollback of prod on main: back to abc1234 api 1.1.0 in prod (T), healthy by record`,
     * one line per app (`  api: chart version image:tag -> ... (healthy by record: c2)`), per
     * commit in between (`  between: def5678 summary changed web; kept: web (decide about these)`),
     * per file, and `ehdeploy rollback: committed 1234567 Roll back ...` or `... not written`.
     */
    @NonCPS
    static List<String> rollbackLines(Map answer) {
        Map target = answer.target as Map
        String branch = answer.branch ?: 'a detached HEAD'
        String health = answer.healthyByRecord ? 'healthy by record' : 'NOT healthy by record'
        List<String> lines = ["ehdeploy rollback of ${answer.environment} on ${branch}: back to ${shortId(target.id as String)} " +
                              "${target.summary} (${target.time}), ${health}".toString()]
        (answer.apps as List ?: []).each { Map app ->
            String by = app.healthyBy ? " (healthy by record: ${app.healthyBy})" : ''
            lines << "  ${app.app}: ${releaseText(app.from as Map)} -> ${releaseText(app.to as Map)}${by}".toString()
        }
        (answer.between as List ?: []).each { Map between ->
            Map revision = between.revision as Map
            List others = between.others as List ?: []
            String kept = others ? "; kept: ${others.join(', ')} (decide about these)" : ''
            lines << "  between: ${shortId(revision.id as String)} ${revision.summary} changed ${(between.apps as List).join(', ')}${kept}".toString()
        }
        (answer.files as List ?: []).each { Map file -> lines << "  file: ${file.path}".toString() }
        Map commit = answer.commit as Map
        lines << (commit ? "ehdeploy rollback: committed ${shortId(commit.id as String)} ${commit.summary}"
                         : 'ehdeploy rollback: not written (write: true commits it)').toString()
        return lines
    }

    /**
     * The CLI arguments of `ehdeploy verify` asking what the `verify` request asks; the DSFs and
     * the images last, after `--` (the CLI tells them apart: a target ending in `.yaml`, `.yml`
     * or `.toml`, or a file that exists, is a DSF; a missing DSF is an `io` error).
     */
    @NonCPS
    static String verifyArguments(Map request) {
        List<String> args = ['--platform', request.platform as String]
        [environment: '--env', layout: '--layout', concurrency: '--concurrency', candidate: '--candidate'].each { String key, String flag ->
            if (request[key] != null) {
                args += [flag, request[key].toString()]
            }
        }
        (request.bundles as List ?: []).each { args += ['--bundles', it.toString()] }
        Map registry = request.registry as Map ?: [:]
        (registry.insecure as List ?: []).each { args += ['--insecure-registry', it.toString()] }
        if (registry.dockerConfig != null) {
            args += ['--docker-config', registry.dockerConfig.toString()]
        }
        (registry.caCertificates as List ?: []).each { args += ['--ca-cert', it.toString()] }
        [timeoutSeconds: '--timeout-seconds', retries: '--retries'].each { String key, String flag ->
            if (registry[key] != null) {
                args += [flag, registry[key].toString()]
            }
        }
        if (request.pin) {
            args << '--pin'
        }
        if (request.write) {
            args << '--write'
        }
        args += actorArguments(request.actor as Map)
        args += commonArguments(request)
        args += ['--format', 'json']
        List targets = (request.files as List ?: []) + (request.images as List ?: [])
        if (targets) {
            args << '--'
            args.addAll(targets.collect { it.toString() })
        }
        return args.collect { shellQuote(it) }.join(' ')
    }

    /**
     * `ehdeploy verify: 8 image(s): 7 allowed, 1 warned, 0 refused, 0 unverifiable`, then one line
     * per image by its verdict's `outcome`,
     * `  allowed inttest patient-api <reference>@<digest>: signed by medilink-ci` (`warned` where
     * the policy only warns, `refused` where it enforces, `unverifiable` when its signatures could
     * not be read; each with the decision's message), below a warned or refused one each
     * authority that did not verify (`    nordlab-ci: <message> [<reason>]`), and one line per
     * file pinned.
     */
    @NonCPS
    static List<String> verdictLines(Map answer) {
        List images = answer.images as List ?: []
        Map counts = [allowed: 0, warned: 0, refused: 0, unverifiable: 0]
        List<String> lines = []
        images.each { Map image ->
            Map verdict = image.verdict as Map
            Map decision = verdict.decision as Map
            String outcome = verdict.outcome as String
            counts[outcome] = ((counts[outcome] ?: 0) as int) + 1
            String at = !image.pinned && verdict.digest ? "@${verdict.digest}" : ''
            lines << "  ${outcome} ${image.environment ?: '-'} ${image.app ?: '-'} ${image.reference}${at}: ${decision.message}".toString()
            if (outcome in ['warned', 'refused']) {
                (verdict.checks as List ?: []).findAll { Map check -> !check.verified }.each { Map check ->
                    lines << "    ${check.authority}: ${check.message ?: 'not verified'} [${check.reason ?: 'unsigned'}]".toString()
                }
            }
        }
        String verb = answer.written ? 'written' : 'would change'
        (answer.files as List ?: []).each { Map file -> lines << "  pin: ${file.path} ${verb}".toString() }
        String tally = counts.collect { state, n -> "${n} ${state}" }.join(', ')
        return ["ehdeploy verify: ${images.size()} image(s): ${tally}".toString()] + lines
    }

    /** `ehdeploy <what>: 1 finding(s) at or above `error`: [rule] message; ...` */
    @NonCPS
    static String findingsFailure(String what, Map report, String failOn) {
        List<String> severities = failOn == 'warning' ? ['error', 'warning'] : ['error']
        List failing = (report.findings as List ?: []).findAll { Map finding -> finding.severity in severities }
        return "ehdeploy ${what}: ${failing.size()} finding(s) at or above `${failOn}`: ".toString() +
               failing.collect { Map finding -> "[${finding.rule}] ${finding.message}" }.join('; ')
    }

    /** `chart version image:tag` (or `@digest`) of a release in a rollback, `(none)` for none. */
    @NonCPS
    static String releaseText(Map release) {
        if (release == null) {
            return '(none)'
        }
        String at = release.tag ? ":${release.tag}" : (release.digest ? "@${release.digest}" : '')
        return "${release.chart} ${release.version} ${release.image ?: ''}${at}".toString()
    }

    /** A commit id's first 7 digits, as git shows it. */
    @NonCPS
    static String shortId(String id) {
        return id == null ? '' : id.take(7)
    }

    /** `ehdeploy <what>: <event> <outcome> in LOG` and each reason, indented; nothing when nothing was recorded. */
    @NonCPS
    static List<String> recordedLines(String what, Map recorded) {
        if (recorded == null) {
            return []
        }
        Map decision = recorded.decision as Map
        String event = recorded.entry?.event?.kind ?: recorded.entry?.event?.type
        List<String> lines = ["ehdeploy ${what}: ${event} ${decision.outcome} in ${recorded.log}".toString()]
        (decision.reasons as List ?: []).each { Map reason -> lines << "  ${reasonText(reason)}".toString() }
        return lines
    }

    /** `ehdeploy <what>: <event> refused in the audit log: [code] message; ...` */
    @NonCPS
    static String recordRefusal(String what, Map recorded) {
        Map decision = recorded.decision as Map
        String event = recorded.entry?.event?.kind ?: recorded.entry?.event?.type
        List reasons = (decision.reasons as List ?: []).collect { reasonText(it as Map) }
        return "ehdeploy ${what}: ${event} ${decision.outcome} in the audit log${reasons ? ': ' + reasons.join('; ') : ''}".toString()
    }

    /** The CLI arguments of `ehdeploy canary resources`: `--platform P --env E [--app a,b]`. */
    @NonCPS
    static String canaryResourcesArguments(String platform, String environment, List apps) {
        List<String> args = ['--platform', platform, '--env', environment]
        if (apps) {
            args += ['--app', apps.join(',')]
        }
        return args.collect { shellQuote(it) }.join(' ')
    }

    /**
     * `ehdeploy canary patient-api in prod: promote at weight 50 after 6 check(s) from S to U`
     * (or `no check yet`, and `; next check at T` while it goes on), one line per check,
     * `  T action at weight W: reason`, and what was recorded in the candidate's log.
     */
    @NonCPS
    static List<String> canaryRunLines(Map answer) {
        Map run = answer.run as Map
        List checks = run.checks as List ?: []
        String outcome = run.action ? "${run.action} at weight ${run.state?.weight}" : 'no check yet'
        String next = run.nextCheck ? "; next check at ${run.nextCheck}" : ''
        List<String> lines = ["ehdeploy canary ${answer.app} in ${answer.environment}: ${outcome} after ${checks.size()} check(s) " +
                              "from ${run.since} to ${run.until}${next}".toString()]
        checks.each { Map check ->
            Map decision = check.decision as Map
            lines << "  ${check.at} ${decision.action} at weight ${decision.state?.weight}: ${decision.reason}".toString()
        }
        Map recorded = answer.recorded as Map
        if (recorded != null) {
            Map decision = recorded.decision as Map
            lines << "ehdeploy canary: canary-passed evidence ${decision.outcome} in ${recorded.log}".toString()
            (decision.reasons as List ?: []).each { Map reason -> lines << "  ${reasonText(reason)}".toString() }
        }
        return lines
    }

    /** `ehdeploy canary: canary-passed evidence refused: [code] message; [code] message` */
    @NonCPS
    static String evidenceRefusal(Map decision) {
        List reasons = (decision.reasons as List ?: []).collect { reasonText(it as Map) }
        return "ehdeploy canary: canary-passed evidence ${decision.outcome}${reasons ? ': ' + reasons.join('; ') : ''}".toString()
    }

    /** `ehdeploy canary: 2 Flagger object(s) of prod in flagger.json: Canary medilink/patient-api, ...` */
    @NonCPS
    static List<String> resourceLines(String environment, String file, Map list) {
        List items = list.items as List ?: []
        String where = file ? " in ${file}" : ''
        String names = items.collect { "${it.kind} ${it.metadata?.namespace}/${it.metadata?.name}" }.join(', ')
        return ["ehdeploy canary: ${items.size()} Flagger object(s) of ${environment}${where}${names ? ': ' + names : ''}".toString()]
    }

    /** The CLI arguments asking what `request` asks, in `format` (`validate` and `check` only). */
    @NonCPS
    static String cliArguments(String op, Map request, String format) {
        List<String> args = ['--format', format]
        if (op == 'validate') {
            if (request.platform != null) {
                args += ['--platform', request.platform as String]
            }
            if (request.environment != null) {
                args += ['--env', request.environment as String]
            }
            if (request.substituteValues) {
                args << '--subst-env-values'
            }
        } else if (op == 'check') {
            args << (request.platformDir as String)
        } else {
            throw new IllegalArgumentException("no CLI rendering for ${op}")
        }
        args += commonArguments(request)
        if (op == 'validate') {
            args << '--'
            args.addAll(request.files as List)
        }
        return args.collect { shellQuote(it) }.join(' ')
    }

    /** The CLI arguments of the parameters every operation takes (`withCommon`): `--var K=V`, `--no-process-env`, `--max-file-size N`. */
    @NonCPS
    static List<String> commonArguments(Map request) {
        List<String> args = []
        (request.vars as Map ?: [:]).each { key, value -> args += ['--var', "${key}=${value}".toString()] }
        if (request.processEnv == false) {
            args << '--no-process-env'
        }
        if (request.maxFileBytes != null) {
            args += ['--max-file-size', request.maxFileBytes.toString()]
        }
        return args
    }

    /** The CLI arguments of who records in a candidate's log: `--as NAME [--roles a,b]`; none without an actor. */
    @NonCPS
    static List<String> actorArguments(Map actor) {
        if (actor == null) {
            return []
        }
        List<String> args = ['--as', actor.name as String]
        if (actor.roles) {
            args += ['--roles', (actor.roles as List).join(',')]
        }
        return args
    }

    /** `it's` -> `'it'\''s'`: one word for sh, whatever it holds. */
    @NonCPS
    static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'"
    }
}
