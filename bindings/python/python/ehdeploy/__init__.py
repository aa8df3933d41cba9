"""ehdeploy: validate, plan and promote Helmsman desired-state specifications.

Every function asks the Rust core the same question the CLI, the C ABI and the Jenkins library
ask, and gets the same answer (``docs/bindings.md``). The work runs without the GIL.

>>> import ehdeploy
>>> report = ehdeploy.check("examples/platform", process_env=False)   # doctest: +SKIP
>>> report.summary.errors                                             # doctest: +SKIP
0
>>> [f.rule for f in report.findings if f.severity == "warning"]      # doctest: +SKIP
['chart/version-not-newest', 'schema/unknown-key', 'signature/refused', 'promotion/manual']

Errors raise a subclass of :class:`Error` carrying the stable ``code``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _native
from ._errors import (
    AuditLogError,
    Error,
    InvalidArgumentError,
    InvalidRequestError,
    IoError,
    PanicError,
    UnknownOperationError,
    UsageError,
    error_from_json,
)
from ._model import (
    Action,
    CanaryAnalysisResult,
    CanaryCheck,
    CanaryDecision,
    CanaryResources,
    CanaryRun,
    FlaggerObject,
    AppRollout,
    PodProblem,
    RolloutHealth,
    Between,
    Released,
    RollbackResult,
    RolledBackApp,
    Revision,
    AuthorityCheck,
    ImageDecision,
    ImageVerdict,
    VerifiedImage,
    VerifyResult,
    Artifact,
    Decision,
    EnvStatus,
    LogProblem,
    LogVerification,
    NextStep,
    Reason,
    ReleaseEventResult,
    ReleaseStatus,
    Change,
    FileChange,
    Finding,
    Location,
    NextPromotion,
    Plan,
    PlanResult,
    PlanSummary,
    PromotedSpec,
    Report,
    Risk,
    Rule,
    Summary,
)

__version__: str = _native.__version__

__all__ = [
    "Action",
    "CanaryAnalysisResult",
    "CanaryCheck",
    "CanaryDecision",
    "CanaryResources",
    "CanaryRun",
    "FlaggerObject",
    "canary_analyze",
    "canary_decide",
    "canary_resources",
    "AppRollout",
    "PodProblem",
    "RolloutHealth",
    "rollout_health",
    "Between",
    "Released",
    "RollbackResult",
    "RolledBackApp",
    "Revision",
    "rollback",
    "AuthorityCheck",
    "ImageDecision",
    "ImageVerdict",
    "VerifiedImage",
    "VerifyResult",
    "verify",
    "Artifact",
    "AuditLogError",
    "Decision",
    "EnvStatus",
    "LogProblem",
    "LogVerification",
    "NextStep",
    "Reason",
    "ReleaseEventResult",
    "ReleaseStatus",
    "release_artifacts",
    "release_event",
    "release_status",
    "verify_log",
    "Change",
    "Error",
    "FileChange",
    "Finding",
    "InvalidArgumentError",
    "InvalidRequestError",
    "IoError",
    "Location",
    "NextPromotion",
    "PanicError",
    "Plan",
    "PlanResult",
    "PlanSummary",
    "PromotedSpec",
    "Report",
    "Risk",
    "Rule",
    "Summary",
    "UnknownOperationError",
    "UsageError",
    "call",
    "call_json",
    "check",
    "operations",
    "plan",
    "promote_spec",
    "promotion_plan",
    "rules",
    "schema",
    "validate",
    "version",
]

PathArg = Union[str, "os.PathLike[str]"]


def call_json(op: str, request: str) -> str:
    """Run operation ``op`` on a JSON request and return the answer's JSON text, byte for
    byte what every binding gets. Raises :class:`Error` (a subclass by code) on an error."""
    if not isinstance(op, str) or not isinstance(request, str):
        raise InvalidArgumentError(
            "invalid-argument",
            f"call_json takes two str, not {type(op).__name__} and {type(request).__name__}",
        )
    ok, text = _native.call(op, request)
    if not ok:
        raise error_from_json(text)
    return text


def call(op: str, request: Optional[Mapping[str, Any]] = None) -> Any:
    """Run operation ``op`` on a request given as a mapping; the answer as plain JSON data."""
    try:
        text = json.dumps({} if request is None else request, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise InvalidRequestError("invalid-request", f"the request is not JSON data: {e}") from e
    return json.loads(call_json(op, text))


def _path(p: PathArg) -> str:
    return os.fspath(p)


def _paths(ps: Union[PathArg, Sequence[PathArg]], what: str) -> List[str]:
    if isinstance(ps, (str, os.PathLike)):
        return [_path(ps)]
    try:
        return [_path(p) for p in ps]
    except TypeError as e:
        raise InvalidRequestError(
            "invalid-request", f"`{what}` must be paths (str or os.PathLike): {e}"
        ) from e


def _common(
    request: Dict[str, Any],
    vars: Optional[Mapping[str, str]],
    process_env: bool,
    max_file_bytes: Optional[int],
) -> Dict[str, Any]:
    if vars:
        request["vars"] = dict(vars)
    request["processEnv"] = process_env
    if max_file_bytes is not None:
        request["maxFileBytes"] = max_file_bytes
    return request


def validate(
    paths: Union[PathArg, Sequence[PathArg]],
    *,
    platform: Optional[PathArg] = None,
    env: Optional[str] = None,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    substitute_values: bool = False,
    max_file_bytes: Optional[int] = None,
) -> Report:
    """Validate desired-state files (merged in order): syntax, substitution, schema,
    Helmsman's checks, and with ``platform`` the platform's rules for ``env`` (default: the
    environment whose ``dsf`` lists the files)."""
    request: Dict[str, Any] = {"files": _paths(paths, "paths")}
    if platform is not None:
        request["platform"] = _path(platform)
    if env is not None:
        request["environment"] = env
    if substitute_values:
        request["substituteValues"] = True
    return Report.from_dict(call("validate", _common(request, vars, process_env, max_file_bytes)))


def check(
    platform_dir: PathArg,
    *,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    max_file_bytes: Optional[int] = None,
    at: Optional[str] = None,
) -> Report:
    """Check a whole platform repo: every environment of its ``platform.yaml``, the plan of
    each next promotion (``Report.promotions``) and each release candidate's status at ``at``
    (RFC 3339; default now) (``Report.releases``)."""
    request: Dict[str, Any] = {"platformDir": _path(platform_dir)}
    if at is not None:
        request["at"] = at
    return Report.from_dict(call("check", _common(request, vars, process_env, max_file_bytes)))


def plan(
    old: Union[PathArg, Sequence[PathArg]],
    new: Union[PathArg, Sequence[PathArg]],
    *,
    platform: Optional[PathArg] = None,
    env: Optional[str] = None,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    max_file_bytes: Optional[int] = None,
) -> PlanResult:
    """Plan the change from the ``old`` desired state to the ``new`` one, app by app."""
    request: Dict[str, Any] = {"old": _paths(old, "old"), "new": _paths(new, "new")}
    if platform is not None:
        request["platform"] = _path(platform)
    if env is not None:
        request["environment"] = env
    return PlanResult.from_dict(call("plan", _common(request, vars, process_env, max_file_bytes)))


def _promotion(
    platform: PathArg,
    from_env: str,
    to_env: str,
    apps: Sequence[str],
    vars: Optional[Mapping[str, str]],
    process_env: bool,
    max_file_bytes: Optional[int],
) -> Dict[str, Any]:
    request: Dict[str, Any] = {"platform": _path(platform), "from": from_env, "to": to_env}
    if apps:
        request["apps"] = list(apps)
    return _common(request, vars, process_env, max_file_bytes)


def promotion_plan(
    platform: PathArg,
    from_env: str,
    to_env: str,
    *,
    apps: Sequence[str] = (),
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    max_file_bytes: Optional[int] = None,
) -> PlanResult:
    """Plan promoting ``from_env``'s artifacts (chart, version, image, portable values) into
    ``to_env``; what a person must do comes as ``promotion/manual`` findings."""
    request = _promotion(platform, from_env, to_env, apps, vars, process_env, max_file_bytes)
    return PlanResult.from_dict(call("promotion_plan", request))


def promote_spec(
    platform: PathArg,
    from_env: str,
    to_env: str,
    *,
    apps: Sequence[str] = (),
    write: bool = False,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    max_file_bytes: Optional[int] = None,
) -> PromotedSpec:
    """Write the promotion into ``to_env``'s files in place (``write=True``), or only say
    what would change."""
    promotion = _promotion(platform, from_env, to_env, apps, vars, process_env, max_file_bytes)
    return PromotedSpec.from_dict(call("promote_spec", {"promotion": promotion, "write": write}))


def release_event(
    platform: PathArg,
    candidate: str,
    actor: Mapping[str, Any],
    event: Mapping[str, Any],
    *,
    at: Optional[str] = None,
) -> ReleaseEventResult:
    """Decide a release event (``{"type": "promoted", "to": "prod", ...}``, see
    ``schemas/api/release_event.request.schema.json``) done by ``actor``
    (``{"name": ..., "roles": [...]}``) against the platform's pipeline, and append it to the
    candidate's audit log. A refusal is an answer: ``result.decision.accepted`` is False and
    ``result.decision.reasons`` says why."""
    request: Dict[str, Any] = {
        "platform": _path(platform),
        "candidate": candidate,
        "actor": dict(actor),
        "event": dict(event),
    }
    if at is not None:
        request["at"] = at
    return ReleaseEventResult.from_dict(call("release_event", request))


def release_status(platform: PathArg, candidate: str, *, at: Optional[str] = None) -> ReleaseStatus:
    """Where a release candidate is in each environment, and what may happen next."""
    request: Dict[str, Any] = {"platform": _path(platform), "candidate": candidate}
    if at is not None:
        request["at"] = at
    return ReleaseStatus.from_dict(call("release_status", request))


def verify_log(platform: PathArg, candidate: str, *, head: Optional[str] = None) -> LogVerification:
    """Verify a release candidate's audit log; ``head`` (kept elsewhere) catches a cut end."""
    request: Dict[str, Any] = {"platform": _path(platform), "candidate": candidate}
    if head is not None:
        request["head"] = head
    return LogVerification.from_dict(call("verify_log", request))


def release_artifacts(
    platform: PathArg,
    env: Optional[str] = None,
    *,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
) -> Dict[str, Artifact]:
    """What an environment's spec carries (default: the first environment's), by app."""
    request: Dict[str, Any] = {"platform": _path(platform)}
    if env is not None:
        request["environment"] = env
    answer = call("release_artifacts", _common(request, vars, process_env, None))
    return {app: Artifact.from_dict(a) for app, a in answer["artifacts"].items()}


def rollout_health(
    objects: PathArg,
    *,
    platform: Optional[PathArg] = None,
    env: Optional[str] = None,
    apps: Sequence[str] = (),
    candidate: Optional[str] = None,
    actor: Optional[Mapping[str, Any]] = None,
) -> RolloutHealth:
    """How each app's roll-out stands, from the JSON of ``kubectl get deploy,rs,pods -o
    json`` (a file), and the next step; with ``platform`` and ``env``, the apps of that
    environment's spec. The answer is a list of :class:`AppRollout`. With ``candidate`` and
    ``actor`` (``{"name": ..., "roles": [...]}``; both need ``platform`` and ``env``), a
    finished roll-out is recorded in the candidate's audit log as ``deployed-healthy``
    evidence, positive when every app is healthy, negative when one is stalled or degraded:
    the answer's ``recorded``."""
    request: Dict[str, Any] = {"objects": _path(objects)}
    if platform is not None:
        request["platform"] = _path(platform)
    if env is not None:
        request["environment"] = env
    if apps:
        request["apps"] = list(apps)
    if candidate is not None:
        request["candidate"] = candidate
    if actor is not None:
        request["actor"] = dict(actor)
    return RolloutHealth.from_dict(call("rollout_health", request))


def canary_decide(
    analysis: Mapping[str, Any],
    samples: Mapping[str, Any],
    *,
    state: Optional[Mapping[str, Any]] = None,
) -> CanaryDecision:
    """Decide one canary check from each metric's sample (``{"value": 99.5}``,
    ``"no-data"`` or ``{"error": "..."}``) under a Flagger-style ``analysis``; ``state`` is
    the previous decision's state (default: the start). No data is never a pass."""
    request: Dict[str, Any] = {"analysis": dict(analysis), "samples": dict(samples)}
    if state is not None:
        request["state"] = dict(state)
    return CanaryDecision.from_dict(call("canary_decide", request))


def canary_resources(
    platform: PathArg,
    env: str,
    apps: Sequence[str] = (),
) -> CanaryResources:
    """The Flagger ``Canary`` (and ``MetricTemplate`` per custom metric) of each app with
    canary on in ``env`` (only ``apps``, each of which must have it on, when given), from the
    same analysis :func:`canary_analyze` judges by."""
    request: Dict[str, Any] = {"platform": _path(platform), "environment": env}
    if apps:
        request["apps"] = list(apps)
    return CanaryResources.from_dict(call("canary_resources", request))


def canary_analyze(
    platform: PathArg,
    env: str,
    app: str,
    *,
    prometheus: Optional[str] = None,
    since: Optional[str] = None,
    at: Optional[str] = None,
    candidate: Optional[str] = None,
    actor: Optional[Mapping[str, Any]] = None,
    timeout_seconds: Optional[int] = None,
    retries: Optional[int] = None,
) -> CanaryAnalysisResult:
    """Judge ``app``'s canary in ``env`` from Prometheus (default: the platform
    file's ``canary.prometheus``): every check from ``since`` (RFC 3339; default: when
    ``candidate`` was last deployed there) up to ``at`` (default now), as Flagger decides
    them, until one promotes or rolls back. With ``candidate`` and ``actor``
    (``{"name": ..., "roles": [...]}``), a finished analysis is recorded as ``canary-passed``
    evidence in the candidate's audit log. Prometheus unreachable, erroring or answering
    garbage raises :class:`IoError`, never a pass."""
    request: Dict[str, Any] = {
        "platform": _path(platform),
        "environment": env,
        "app": app,
    }
    if prometheus is not None:
        request["prometheus"] = prometheus
    if since is not None:
        request["since"] = since
    if at is not None:
        request["at"] = at
    if candidate is not None:
        request["candidate"] = candidate
    if actor is not None:
        request["actor"] = dict(actor)
    if timeout_seconds is not None:
        request["timeoutSeconds"] = timeout_seconds
    if retries is not None:
        request["retries"] = retries
    return CanaryAnalysisResult.from_dict(call("canary_analyze", request))


def rollback(
    repo: PathArg,
    env: str,
    *,
    app: Optional[str] = None,
    to: Optional[str] = None,
    write: bool = False,
    platform: Optional[PathArg] = None,
    max_commits: Optional[int] = None,
    candidate: Optional[str] = None,
    actor: Optional[Mapping[str, Any]] = None,
) -> RollbackResult:
    """Take ``app`` (default: every app of ``env``) back to the newest earlier revision of the
    spec's git history where it ran something else and was healthy by record (the audit
    logs), or to the revision ``to`` (a commit, ``HEAD~2``, a tag of the branch's history,
    healthy by record or not). ``repo`` is a folder of the git work tree, ``platform`` the
    platform repo's folder inside it (relative to ``repo``; default ``repo`` itself);
    ``max_commits`` bounds the search (default 200). The answer is the plan: the target, each
    app's releases, the commits in between and the files changed. With ``write=True`` the
    files are written and committed on the current branch (a new commit whose parent is
    HEAD; files with uncommitted changes are refused), and with ``candidate`` and ``actor``
    (``{"name": ..., "roles": [...]}``) a ``rolled-back`` event goes to the candidate's audit
    log. Not a git work tree, a revision outside the branch, nothing to roll back: raise
    :class:`UsageError`."""
    request: Dict[str, Any] = {"repo": _path(repo), "environment": env}
    if platform is not None:
        request["platform"] = _path(platform)
    if app is not None:
        request["app"] = app
    if to is not None:
        request["to"] = to
    if write:
        request["write"] = True
    if max_commits is not None:
        request["maxCommits"] = max_commits
    if candidate is not None:
        request["candidate"] = candidate
    if actor is not None:
        request["actor"] = dict(actor)
    return RollbackResult.from_dict(call("rollback", request))


def verify(
    platform: PathArg,
    *,
    env: Optional[str] = None,
    files: Union[PathArg, Sequence[PathArg]] = (),
    images: Union[str, Sequence[str]] = (),
    layout: Optional[PathArg] = None,
    bundles: Union[PathArg, Sequence[PathArg]] = (),
    insecure_registries: Sequence[str] = (),
    docker_config: Optional[PathArg] = None,
    ca_certificates: Sequence[PathArg] = (),
    timeout_seconds: Optional[int] = None,
    retries: Optional[int] = None,
    concurrency: Optional[int] = None,
    pin: bool = False,
    write: bool = False,
    candidate: Optional[str] = None,
    actor: Optional[Mapping[str, Any]] = None,
    vars: Optional[Mapping[str, str]] = None,
    process_env: bool = True,
    max_file_bytes: Optional[int] = None,
) -> VerifyResult:
    """Verify images' signatures against the trust policy of the platform file (its
    ``signatures:``; ``platform`` is the platform repo's folder or its ``platform.yaml``): the
    image of every enabled app of ``env`` (default: of every environment), or of the DSFs
    ``files`` (merged in order), and the image references ``images``
    (``registry/repository:tag[@digest]``). They are read offline from the OCI image layout
    ``layout``, else from their registries, with the Sigstore bundle files of the folders
    ``bundles`` (besides the platform's ``signatures.bundles``): hosts in ``insecure_registries`` over plain HTTP,
    credentials from the docker ``config.json`` ``docker_config`` (none by default), the PEM
    ``ca_certificates`` trusted besides Mozilla's roots, each request within
    ``timeout_seconds`` (default 30) and tried again ``retries`` times (default 2);
    ``concurrency`` images at once (default 8). One verdict per image, whose ``outcome`` is
    ``allowed``, ``warned``, ``refused`` or ``unverifiable``: a registry that cannot be read
    makes the image ``unverifiable`` (a ``signature/unverifiable`` finding), never a pass and
    never an exception. With ``pin=True`` the answer's ``files`` write the verified digest
    of each allowed image the spec names by tag alone (``write=True`` writes them). With
    ``candidate`` and ``actor`` (``{"name": ..., "roles": [...]}``; both need ``env``), the
    result is recorded in the candidate's audit log as ``signatures-verified`` evidence for
    ``env``: the answer's ``recorded``. A platform file without a trust policy, ``write``
    without ``pin``: raise :class:`UsageError`."""
    request: Dict[str, Any] = {"platform": _path(platform)}
    if env is not None:
        request["environment"] = env
    if files:
        request["files"] = _paths(files, "files")
    if images:
        request["images"] = [images] if isinstance(images, str) else list(images)
    if layout is not None:
        request["layout"] = _path(layout)
    if bundles:
        request["bundles"] = _paths(bundles, "bundles")
    registry: Dict[str, Any] = {}
    if insecure_registries:
        registry["insecure"] = (
            [insecure_registries] if isinstance(insecure_registries, str) else list(insecure_registries)
        )
    if docker_config is not None:
        registry["dockerConfig"] = _path(docker_config)
    if ca_certificates:
        registry["caCertificates"] = _paths(ca_certificates, "ca_certificates")
    if timeout_seconds is not None:
        registry["timeoutSeconds"] = timeout_seconds
    if retries is not None:
        registry["retries"] = retries
    if registry:
        request["registry"] = registry
    if concurrency is not None:
        request["concurrency"] = concurrency
    if pin:
        request["pin"] = True
    if write:
        request["write"] = True
    if candidate is not None:
        request["candidate"] = candidate
    if actor is not None:
        request["actor"] = dict(actor)
    return VerifyResult.from_dict(call("verify", _common(request, vars, process_env, max_file_bytes)))


def rules() -> List[Rule]:
    """The rule catalogue, in the order of ``docs/rules.md``."""
    return [Rule.from_dict(r) for r in call("rules")["rules"]]


def schema(name: str) -> Dict[str, Any]:
    """A JSON Schema of ``schemas/`` by name: ``dsf``, ``platform``, ``api/check.request``…"""
    result: Dict[str, Any] = call("schema", {"name": name})
    return result


def operations() -> List[str]:
    """The names of the operations :func:`call` knows."""
    return list(call("version")["operations"])


def version() -> str:
    """The version of the Rust core (the same as ``__version__``)."""
    return str(call("version")["version"])
