package org.ehdeploy

import com.cloudbees.groovy.cps.NonCPS
import com.sun.jna.Library
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic
import com.sun.jna.Native
import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference

import java.util.concurrent.ConcurrentHashMap

/**
 * ehdeploy in-process, through its C ABI (libehdeploy.so) and JNA.
 *
 *   def ehd = new EhDeploy()                  // finds libehdeploy through jna.library.path
 *   def ehd = new EhDeploy('/opt/ehdeploy/lib') // or in this directory
 *   Map answer = ehd.call('check', [platformDir: 'platform', processEnv: false])
 *   if (answer.error) { ... answer.error.code, answer.error.message ... }
 *
 * Every operation by name: a JSON request in, a JSON answer (or {"error": {...}}) out,
 * exactly as `ehdeploy call OP REQUEST` prints it. Instances only hold the library's
 * directory, so they are Serializable (Jenkins CPS); the loaded library lives in a static
 * cache. Thread-safe: the C ABI may be called from many threads at once.
 *
 * Native code runs inside this JVM and shares its fate: a panic is caught by the library
 * (error code `panic`), but a crash would take the JVM with it.
 */
class EhDeploy implements Serializable {
    private static final long serialVersionUID = 1L

    /** The library's base name: libehdeploy.so, libehdeploy.dylib, ehdeploy.dll. */
    static final String LIBRARY_NAME = 'ehdeploy'

    /** Loaded libraries by what was loaded (name or absolute path). */
    private static final Map<String, EhDeployLibrary> LOADED = new ConcurrentHashMap<String, EhDeployLibrary>()

    /** The directory holding libehdeploy, or null for jna.library.path and the system's. */
    final String libDir

    EhDeploy() {
        this(null)
    }

    EhDeploy(String libDir) {
        this.libDir = libDir
    }

    /** The raw answer text of `op` on `requestJson`: the answer, or the error's JSON. */
    @NonCPS
    String callJson(String op, String requestJson) {
        EhDeployLibrary lib = library()
        PointerByReference out = new PointerByReference()
        int status = lib.ehd_call(op, requestJson, out)
        Pointer answer = out.value
        if (answer == null) {
            // Only when the out-parameter itself is NULL, which cannot happen here.
            throw new IllegalStateException("ehd_call(${op}) gave ${lib.ehd_status_name(status)} and no answer")
        }
        try {
            return answer.getString(0, 'UTF-8')
        } finally {
            lib.ehd_string_free(answer)
        }
    }

    /**
     * The answer of `op` on `request` as plain maps and lists (serialisable for CPS). An
     * error is an answer too: [error: [code: ..., message: ..., help: ..., locations: [...]]].
     */
    @NonCPS
    Map call(String op, Map request) {
        return parse(callJson(op, toJson(request)))
    }

    /**
     * `canary_resources`: the Flagger `Canary` (and `MetricTemplate`s) of each app with canary
     * on in `environment` (only `apps`, when given), as a Kubernetes List, or [error: ...].
     *
     *   Map list = ehd.canaryResources('/srv/platform', 'prod')   // list.items*.metadata.name
     */
    @NonCPS
    Map canaryResources(String platform, String environment, List apps = []) {
        return parse(canaryResourcesJson(platform, environment, apps))
    }

    /** `canary_resources`'s answer as ehdeploy writes it (for `kubectl apply -f`), or the error's JSON. */
    @NonCPS
    String canaryResourcesJson(String platform, String environment, List apps = []) {
        Map request = [platform: platform, environment: environment]
        if (apps) {
            request.apps = apps.collect { it.toString() }
        }
        return callJson('canary_resources', toJson(request))
    }

    /**
     * `canary_analyze`: a canary's analysis from Prometheus, up to `at` (default now), or
     * [error: ...] (code `io` when Prometheus cannot answer: never a pass). The request's keys
     * are the operation's: `platform`, `environment`, `app` (required), `prometheus`, `since`,
     * `at`, `candidate`, `actor` ([name:, roles:]), `timeoutSeconds`, `retries`; null ones are
     * left out.
     *
     *   Map answer = ehd.canaryAnalyze(platform: '/srv/platform', environment: 'prod', app: 'patient-api',
     *                                  since: '2026-11-20T10:00:00Z')
     *   answer.run.action   // promote, continue, roll-back, inconclusive; null before the first check
     */
    @NonCPS
    Map canaryAnalyze(Map request) {
        return call('canary_analyze', compact(request))
    }

    /**
     * `rollback`: an app (or every app of `environment`) back to the last revision of the spec's
     * git history where it ran something else and was healthy by record (or to `to`), planned,
     * and with `write` committed on the current branch; or [error: ...] (code `usage`: not a git
     * work tree, a revision outside the branch, nothing to roll back...). The request's keys are
     * the operation's: `repo`, `environment` (required), `platform`, `app`, `to`, `write`,
     * `maxCommits`, `candidate`, `actor` ([name:, roles:]); null ones are left out.
     *
     *   Map answer = ehd.rollback(repo: '/srv/spec', environment: 'prod', app: 'patient-api')
     *   answer.target.id   // the revision gone back to; answer.files: what changes
     */
    @NonCPS
    Map rollback(Map request) {
        return call('rollback', compact(request))
    }

    /**
     * `verify`: images' signatures against the platform file's trust policy (`signatures:`),
     * offline from an OCI layout or from their registries: one verdict per image, the findings,
     * with `pin` the verified digests as file changes (`write` writes them), with `candidate` the
     * `signatures-verified` evidence recorded; or [error: ...] (code `usage`: no trust policy,
     * an unknown environment, `write` without `pin`...). A registry that cannot be read makes its
     * image unverifiable (a finding), never an error. Each verdict's `outcome` says what happens
     * to the image: `allowed`, `warned`, `refused` or `unverifiable`. The request's keys are the operation's:
     * `platform` (required), `environment`, `files`, `images`, `layout`, `registry` ([insecure:,
     * dockerConfig:, caCertificates:, timeoutSeconds:, retries:]), `concurrency`, `pin`, `write`,
     * `candidate`, `actor` ([name:, roles:]), `vars`, `processEnv`, `maxFileBytes`; null ones are
     * left out.
     *
     *   Map answer = ehd.verify(platform: '/srv/platform', environment: 'prod', layout: '/srv/images')
     *   answer.images.findAll { it.verdict.outcome != 'allowed' }*.reference   // what the policy does not let run
     */
    @NonCPS
    Map verify(Map request) {
        return call('verify', compact(request))
    }

    /**
     * An answer's JSON as plain maps and lists: JsonSlurperClassic's HashMap and ArrayList,
     * which CPS can serialise (JsonSlurper's LazyMap cannot). The CLI path parses with this too,
     * so both paths give equal results.
     */
    @NonCPS
    static Map parse(String json) {
        return (Map) new JsonSlurperClassic().parseText(json)
    }

    /** `request` minus the keys left unset (null), keys and GStrings as Strings. */
    @NonCPS
    static Map compact(Map request) {
        Map result = [:]
        request.each { key, value ->
            if (value != null) {
                result[key.toString()] = value instanceof GString ? value.toString() : value
            }
        }
        return result
    }

    /** A request as compact JSON. */
    @NonCPS
    static String toJson(Map request) {
        return JsonOutput.toJson(request)
    }

    /** The library's version (semver). */
    @NonCPS
    String version() {
        return library().ehd_version()
    }

    /** The JNA view of the library, loaded once per JVM (for tests and the curious). */
    @NonCPS
    EhDeployLibrary library() {
        String target = libDir ? new File(libDir, System.mapLibraryName(LIBRARY_NAME)).absolutePath : LIBRARY_NAME
        EhDeployLibrary lib = LOADED.get(target)
        return lib != null ? lib : load(target)
    }

    private static synchronized EhDeployLibrary load(String target) {
        EhDeployLibrary lib = LOADED.get(target)
        if (lib == null) {
            // Strings cross as UTF-8 whatever the JVM's default charset is.
            Map options = [(Library.OPTION_STRING_ENCODING): 'UTF-8']
            lib = (EhDeployLibrary) Native.load(target, EhDeployLibrary, options)
            LOADED.put(target, lib)
        }
        return lib
    }
}
