"""The answers as small typed classes. Each keeps the JSON it was made from: ``to_dict()``
gives it back exactly, so nothing the core said is lost in translation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Dict, List, Optional

JsonDict = Dict[str, Any]


@dataclass(frozen=True)
class _FromJson:
    raw: JsonDict = field(repr=False, compare=False)

    def to_dict(self) -> JsonDict:
        """The JSON object this came from, as plain data (a copy)."""
        return copy.deepcopy(self.raw)


@dataclass(frozen=True)
class Location(_FromJson):
    """A place in a file: 1-based line and column (0 for the whole file) and the JSON
    pointer of the value in its document."""

    file: str = ""
    line: int = 0
    column: int = 0
    pointer: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Location":
        return cls(d, d["file"], d["line"], d["column"], d["pointer"])

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def _location(d: Optional[JsonDict]) -> Optional[Location]:
    return None if d is None else Location.from_dict(d)


@dataclass(frozen=True)
class Finding(_FromJson):
    """One problem: the rule's stable id, its severity (``error``, ``warning``, ``info``), a
    message, how to fix it, where, and which environment and app."""

    rule: str = ""
    severity: str = ""
    message: str = ""
    help: Optional[str] = None
    location: Optional[Location] = None
    related: List[Location] = field(default_factory=list)
    environment: Optional[str] = None
    app: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Finding":
        return cls(
            d,
            d["rule"],
            d["severity"],
            d["message"],
            d.get("help"),
            _location(d.get("location")),
            [Location.from_dict(r) for r in d.get("related", [])],
            d.get("environment"),
            d.get("app"),
        )


@dataclass(frozen=True)
class Summary(_FromJson):
    """Counts of a report."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    files: int = 0
    apps: int = 0
    environments: int = 0

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Summary":
        return cls(
            d, d["errors"], d["warnings"], d["infos"], d["files"], d["apps"], d["environments"]
        )


@dataclass(frozen=True)
class Change(_FromJson):
    """One field of an app that changes: ``path`` as the plan names it, ``name`` the chart
    profile's name for it (``image.tag``), if any; ``secret`` values show as ``"***"``."""

    path: str = ""
    name: Optional[str] = None
    from_value: Any = None
    to_value: Any = None
    secret: bool = False
    location: Optional[Location] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Change":
        return cls(
            d,
            d["path"],
            d.get("field"),
            d.get("from"),
            d.get("to"),
            d.get("secret", False),
            _location(d.get("location")),
        )


@dataclass(frozen=True)
class Risk(_FromJson):
    """A risk of an action (``risk/chart-major``…)."""

    id: str = ""
    message: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Risk":
        return cls(d, d["id"], d["message"])


@dataclass(frozen=True)
class Action(_FromJson):
    """What happens to one app: ``create``, ``change``, ``remove``, ``noop``, ``protected``,
    ``move-namespace`` or ``replace-chart``, with the changes and risks."""

    app: str = ""
    release: str = ""
    namespace: str = ""
    decision: str = ""
    priority: int = 0
    reason: str = ""
    changes: List[Change] = field(default_factory=list)
    risks: List[Risk] = field(default_factory=list)
    location: Optional[Location] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Action":
        return cls(
            d,
            d["app"],
            d["release"],
            d["namespace"],
            d["decision"],
            d["priority"],
            d["reason"],
            [Change.from_dict(c) for c in d.get("changes", [])],
            [Risk.from_dict(r) for r in d.get("risks", [])],
            _location(d.get("location")),
        )


@dataclass(frozen=True)
class PlanSummary(_FromJson):
    """Counts of a plan by decision, and of risks."""

    create: int = 0
    change: int = 0
    remove: int = 0
    noop: int = 0
    protected: int = 0
    move_namespace: int = 0
    replace_chart: int = 0
    risks: int = 0

    @classmethod
    def from_dict(cls, d: JsonDict) -> "PlanSummary":
        return cls(
            d,
            d["create"],
            d["change"],
            d["remove"],
            d["noop"],
            d["protected"],
            d["moveNamespace"],
            d["replaceChart"],
            d["risks"],
        )

    @property
    def has_changes(self) -> bool:
        """Whether applying the plan does anything."""
        return (
            self.create + self.change + self.remove + self.move_namespace + self.replace_chart
        ) > 0


@dataclass(frozen=True)
class Plan(_FromJson):
    """The actions, in the order Helmsman runs them, and their counts."""

    actions: List[Action] = field(default_factory=list)
    summary: PlanSummary = field(default_factory=lambda: PlanSummary({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Plan":
        return cls(
            d,
            [Action.from_dict(a) for a in d["actions"]],
            PlanSummary.from_dict(d["summary"]),
        )


@dataclass(frozen=True)
class NextPromotion(_FromJson):
    """What promoting ``from_env`` into ``to_env`` would do now (``check``)."""

    from_env: str = ""
    to_env: str = ""
    plan: Plan = field(default_factory=lambda: Plan({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "NextPromotion":
        return cls(d, d["from"], d["to"], Plan.from_dict(d["plan"]))


@dataclass(frozen=True)
class Report(_FromJson):
    """Everything ``validate`` or ``check`` found."""

    findings: List[Finding] = field(default_factory=list)
    summary: Summary = field(default_factory=lambda: Summary({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Report":
        return cls(
            d,
            [Finding.from_dict(f) for f in d["findings"]],
            Summary.from_dict(d["summary"]),
        )

    @cached_property
    def releases(self) -> List["ReleaseStatus"]:
        """Each release candidate of the platform repo and its next steps (``check``)."""
        return [ReleaseStatus.from_dict(r) for r in self.raw.get("releases", [])]

    @cached_property
    def promotions(self) -> List[NextPromotion]:
        """The plan of each next promotion (``check``). Built on first use: on a large
        platform these plans hold an action for every app of every environment."""
        return [NextPromotion.from_dict(p) for p in self.raw.get("promotions", [])]

    @property
    def ok(self) -> bool:
        """No finding of severity error."""
        return self.summary.errors == 0

    def by_rule(self, rule: str) -> List[Finding]:
        """The findings of one rule."""
        return [f for f in self.findings if f.rule == rule]


@dataclass(frozen=True)
class PlanResult(_FromJson):
    """A plan, and what loading its two sides found."""

    plan: Plan = field(default_factory=lambda: Plan({}))
    report: Report = field(default_factory=lambda: Report({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "PlanResult":
        return cls(d, Plan.from_dict(d["plan"]), Report.from_dict(d["report"]))


@dataclass(frozen=True)
class FileChange(_FromJson):
    """One file a promotion (or a rollback) changes: its text before and after."""

    path: str = ""
    before: str = ""
    after: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "FileChange":
        return cls(d, d["path"], d["before"], d["after"])


@dataclass(frozen=True)
class PromotedSpec(_FromJson):
    """What writing a promotion changes (or changed), and what a person must still do."""

    files: List[FileChange] = field(default_factory=list)
    report: Report = field(default_factory=lambda: Report({}))
    written: bool = False

    @classmethod
    def from_dict(cls, d: JsonDict) -> "PromotedSpec":
        return cls(
            d,
            [FileChange.from_dict(f) for f in d["files"]],
            Report.from_dict(d["report"]),
            d["written"],
        )


@dataclass(frozen=True)
class Rule(_FromJson):
    """A rule of the catalogue."""

    id: str = ""
    severity: str = ""
    summary: str = ""
    help: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Rule":
        return cls(d, d["id"], d["severity"], d["summary"], d["help"])


@dataclass(frozen=True)
class Reason(_FromJson):
    """An unmet gate of a refused release event: a stable code (``gate/soak``…)."""

    code: str = ""
    message: str = ""
    environment: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Reason":
        return cls(d, d["code"], d["message"], d.get("environment"))


@dataclass(frozen=True)
class Decision(_FromJson):
    """``accepted``, or ``refused`` with every reason."""

    outcome: str = ""
    reasons: List[Reason] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Decision":
        return cls(d, d["outcome"], [Reason.from_dict(r) for r in d.get("reasons", [])])

    @property
    def accepted(self) -> bool:
        """Whether the event was applied."""
        return self.outcome == "accepted"


@dataclass(frozen=True)
class NextStep(_FromJson):
    """A step that could come next in a release, allowed now or not (with the reasons)."""

    action: str = ""
    environment: Optional[str] = None
    message: str = ""
    allowed: bool = False
    reasons: List[Reason] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "NextStep":
        return cls(
            d,
            d["action"],
            d.get("environment"),
            d["message"],
            d["allowed"],
            [Reason.from_dict(r) for r in d.get("reasons", [])],
        )


@dataclass(frozen=True)
class EnvStatus(_FromJson):
    """A candidate in one environment: where it is (``not-reached``, ``skipped``,
    ``promoted``, ``deployed``, ``rolled-back``) and the evidence it needs to leave."""

    environment: str = ""
    place: str = ""
    deployed_at: Optional[str] = None
    evidence: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "EnvStatus":
        return cls(
            d,
            d["environment"],
            d["place"],
            d.get("deployedAt"),
            {e["kind"]: e["state"] for e in d["evidence"]},
        )


@dataclass(frozen=True)
class ReleaseStatus(_FromJson):
    """A release candidate's status: every environment, and the next steps."""

    candidate: Optional[str] = None
    revision: Optional[str] = None
    environments: List[EnvStatus] = field(default_factory=list)
    next: List[NextStep] = field(default_factory=list)
    entries: int = 0
    head: str = ""
    log: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "ReleaseStatus":
        s = d["status"]
        return cls(
            d,
            s.get("candidate"),
            s.get("revision"),
            [EnvStatus.from_dict(e) for e in s["environments"]],
            [NextStep.from_dict(n) for n in s["next"]],
            d.get("entries", 0),
            d.get("head", ""),
            d.get("log", ""),
        )


@dataclass(frozen=True)
class ReleaseEventResult(_FromJson):
    """What recording a release event did: the decision, and the status after it."""

    decision: Decision = field(default_factory=lambda: Decision({}))
    status: ReleaseStatus = field(default_factory=lambda: ReleaseStatus({}))
    log: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "ReleaseEventResult":
        return cls(
            d,
            Decision.from_dict(d["decision"]),
            ReleaseStatus.from_dict({"status": d["status"], "log": d["log"]}),
            d["log"],
        )


@dataclass(frozen=True)
class LogProblem(_FromJson):
    """The first bad entry of an audit log."""

    entry: int = 0
    line: int = 0
    code: str = ""
    message: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "LogProblem":
        return cls(d, d["entry"], d["line"], d["code"], d["message"])


@dataclass(frozen=True)
class LogVerification(_FromJson):
    """Whether an audit log verifies; its head hash; its first bad entry."""

    ok: bool = False
    entries: int = 0
    head: str = ""
    problem: Optional[LogProblem] = None
    log: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "LogVerification":
        problem = d.get("problem")
        return cls(
            d,
            d["ok"],
            d["entries"],
            d["head"],
            None if problem is None else LogProblem.from_dict(problem),
            d["log"],
        )


@dataclass(frozen=True)
class Artifact(_FromJson):
    """What a candidate carries for one app."""

    chart: str = ""
    version: str = ""
    image: Optional[str] = None
    digest: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Artifact":
        return cls(d, d["chart"], d["version"], d.get("image"), d.get("digest"))


@dataclass(frozen=True)
class PodProblem(_FromJson):
    """A container of a new pod that is not well: why, restarts, the failing probe."""

    pod: str = ""
    container: str = ""
    reason: str = ""
    restarts: int = 0
    probe: Optional[str] = None
    last_state: Optional[str] = None
    message: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "PodProblem":
        return cls(
            d,
            d["pod"],
            d["container"],
            d["reason"],
            d["restarts"],
            d.get("probe"),
            d.get("lastState"),
            d.get("message"),
        )


@dataclass(frozen=True)
class AppRollout(_FromJson):
    """One app's roll-out: ``progressing``, ``healthy``, ``stalled``, ``degraded`` or
    ``unknown``; the next step (``nothing``, ``wait``, ``fix-configuration-or-roll-back``,
    ``roll-back``, ``investigate``) and why."""

    app: str = ""
    namespace: Optional[str] = None
    deployment: Optional[str] = None
    state: str = ""
    next: str = ""
    reason: str = ""
    replicas: Dict[str, int] = field(default_factory=dict)
    problems: List[PodProblem] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "AppRollout":
        return cls(
            d,
            d["app"],
            d.get("namespace"),
            d.get("deployment"),
            d["state"],
            d["next"],
            d["reason"],
            dict(d["replicas"]),
            [PodProblem.from_dict(p) for p in d.get("problems", [])],
        )


@dataclass(frozen=True)
class CanaryDecision(_FromJson):
    """One canary check decided: ``action`` is ``promote``, ``continue``, ``roll-back`` or
    ``inconclusive``; ``state`` is the progress to keep for the next check (its ``weight`` is
    the weight to route now); ``checks`` hold each metric's verdict."""

    action: str = ""
    state: Dict[str, int] = field(default_factory=dict)
    reason: str = ""
    checks: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "CanaryDecision":
        return cls(d, d["action"], dict(d["state"]), d["reason"], list(d["checks"]))


@dataclass(frozen=True)
class FlaggerObject(_FromJson):
    """A Flagger object: a ``Canary`` (which deployment, its service, its analysis) or a
    ``MetricTemplate`` (a custom metric's query); ``to_dict()`` is the whole object."""

    kind: str = ""
    api_version: str = ""
    name: str = ""
    namespace: str = ""
    spec: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "FlaggerObject":
        meta = d["metadata"]
        return cls(d, d["kind"], d["apiVersion"], meta["name"], meta["namespace"], dict(d["spec"]))


@dataclass(frozen=True)
class CanaryResources(_FromJson):
    """A Kubernetes ``List`` of the Flagger objects of an environment's canaries: for each app
    with canary on, its ``Canary``, then a ``MetricTemplate`` per custom metric.
    ``json.dump(resources.to_dict(), f)`` writes a file for ``kubectl apply -f``."""

    api_version: str = ""
    kind: str = ""
    items: List[FlaggerObject] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "CanaryResources":
        return cls(d, d["apiVersion"], d["kind"], [FlaggerObject.from_dict(i) for i in d["items"]])

    @property
    def canaries(self) -> List[FlaggerObject]:
        """The ``Canary`` objects, one per app."""
        return [i for i in self.items if i.kind == "Canary"]

    @property
    def metric_templates(self) -> List[FlaggerObject]:
        """The ``MetricTemplate`` objects, one per custom metric of each app."""
        return [i for i in self.items if i.kind == "MetricTemplate"]


@dataclass(frozen=True)
class CanaryCheck(_FromJson):
    """One check of a canary's run: when (RFC 3339), and what was decided."""

    at: str = ""
    decision: CanaryDecision = field(default_factory=lambda: CanaryDecision({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "CanaryCheck":
        return cls(d, d["at"], CanaryDecision.from_dict(d["decision"]))


@dataclass(frozen=True)
class CanaryRun(_FromJson):
    """A canary's checks from ``since`` up to ``until``, each metric's PromQL (``queries``), the
    state after the last check, its ``action`` (None before the first check is due) and,
    while the analysis goes on, when the next check is due."""

    since: str = ""
    until: str = ""
    queries: Dict[str, str] = field(default_factory=dict)
    checks: List[CanaryCheck] = field(default_factory=list)
    state: Dict[str, int] = field(default_factory=dict)
    action: Optional[str] = None
    next_check: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "CanaryRun":
        return cls(
            d,
            d["since"],
            d["until"],
            dict(d["queries"]),
            [CanaryCheck.from_dict(c) for c in d["checks"]],
            dict(d["state"]),
            d.get("action"),
            d.get("nextCheck"),
        )

    @property
    def finished(self) -> bool:
        """Whether the canary was promoted or rolled back."""
        return self.action in ("promote", "roll-back")


@dataclass(frozen=True)
class CanaryAnalysisResult(_FromJson):
    """A canary's analysis from Prometheus: the app, where its analysis came from, the
    Prometheus asked, the run, and what was recorded of it in the candidate's audit log."""

    app: str = ""
    environment: str = ""
    namespace: str = ""
    analysis_source: str = ""
    prometheus: str = ""
    run: CanaryRun = field(default_factory=lambda: CanaryRun({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "CanaryAnalysisResult":
        return cls(
            d,
            d["app"],
            d["environment"],
            d["namespace"],
            d["analysisSource"],
            d["prometheus"],
            CanaryRun.from_dict(d["run"]),
        )

    @cached_property
    def recorded(self) -> Optional[ReleaseEventResult]:
        """The ``canary-passed`` evidence recorded in the candidate's audit log (a finished
        run with a candidate), or None. Built on first use."""
        recorded = self.raw.get("recorded")
        return None if recorded is None else ReleaseEventResult.from_dict(recorded)


class RolloutHealth(List[AppRollout]):
    """Each app's roll-out (a list of :class:`AppRollout`, as ``rollout_health`` always
    returned), and what was recorded of it in the candidate's audit log (``recorded``)."""

    def __init__(self, raw: JsonDict) -> None:
        super().__init__(AppRollout.from_dict(a) for a in raw["apps"])
        self.raw = raw

    @classmethod
    def from_dict(cls, d: JsonDict) -> "RolloutHealth":
        return cls(d)

    def to_dict(self) -> JsonDict:
        """The JSON object this came from, as plain data (a copy): ``apps`` and ``recorded``."""
        return copy.deepcopy(self.raw)

    @cached_property
    def recorded(self) -> Optional[ReleaseEventResult]:
        """The ``deployed-healthy`` evidence recorded in the candidate's audit log (with a
        candidate, when the roll-out finished: healthy, stalled or degraded), or None."""
        recorded = self.raw.get("recorded")
        return None if recorded is None else ReleaseEventResult.from_dict(recorded)


@dataclass(frozen=True)
class Revision(_FromJson):
    """A commit of the spec's git history: its id (40 hex digits), the first line of its
    message and when it was committed (RFC 3339)."""

    id: str = ""
    summary: str = ""
    time: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Revision":
        return cls(d, d["id"], d["summary"], d["time"])

    @property
    def short(self) -> str:
        """The id's first 7 digits, as git shows it."""
        return self.id[:7]


@dataclass(frozen=True)
class Released(Artifact):
    """What one app runs at a revision: its :class:`Artifact` (chart, version, image, digest)
    and its image tag."""

    tag: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Released":
        return cls(d, d["chart"], d["version"], d.get("image"), d.get("digest"), d.get("tag"))


def _released(d: Optional[JsonDict]) -> Optional[Released]:
    return None if d is None else Released.from_dict(d)


@dataclass(frozen=True)
class RolledBackApp(_FromJson):
    """One app a rollback takes back: what it runs now (``from_release``; None when it was
    added since the target), what it runs after (``to_release``; None when it was not there)
    and the candidate whose audit log records that release healthy (``healthy_by``)."""

    app: str = ""
    from_release: Optional[Released] = None
    to_release: Optional[Released] = None
    healthy_by: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "RolledBackApp":
        return cls(d, d["app"], _released(d.get("from")), _released(d.get("to")), d.get("healthyBy"))


@dataclass(frozen=True)
class Between(_FromJson):
    """A commit between HEAD and a rollback's target that changed the environment: the apps
    whose release it changed, and ``others``, those of them the rollback leaves as they are
    (a person decides about these)."""

    revision: Revision = field(default_factory=lambda: Revision({}))
    apps: List[str] = field(default_factory=list)
    others: List[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: JsonDict) -> "Between":
        return cls(d, Revision.from_dict(d["revision"]), list(d["apps"]), list(d["others"]))


@dataclass(frozen=True)
class RollbackResult(_FromJson):
    """A rollback: the branch and its HEAD, the revision gone back to (``target``), whether
    every release gone back to is healthy by record, each app taken back, the commits in
    between, the files changed (paths relative to the work tree), what a person must do
    (``report``: ``promotion/manual`` findings), the commit made (with ``write``) and the
    ``rolled-back`` event recorded (with ``write`` and a candidate)."""

    branch: Optional[str] = None
    head: Revision = field(default_factory=lambda: Revision({}))
    environment: str = ""
    target: Revision = field(default_factory=lambda: Revision({}))
    healthy_by_record: bool = False
    apps: List[RolledBackApp] = field(default_factory=list)
    between: List[Between] = field(default_factory=list)
    files: List[FileChange] = field(default_factory=list)
    report: Report = field(default_factory=lambda: Report({}))
    commit: Optional[Revision] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "RollbackResult":
        commit = d.get("commit")
        return cls(
            d,
            d.get("branch"),
            Revision.from_dict(d["head"]),
            d["environment"],
            Revision.from_dict(d["target"]),
            d["healthyByRecord"],
            [RolledBackApp.from_dict(a) for a in d["apps"]],
            [Between.from_dict(b) for b in d["between"]],
            [FileChange.from_dict(f) for f in d["files"]],
            Report.from_dict(d["report"]),
            None if commit is None else Revision.from_dict(commit),
        )

    @property
    def written(self) -> bool:
        """Whether the rollback was committed (``write=True``)."""
        return self.commit is not None

    @cached_property
    def recorded(self) -> Optional[ReleaseEventResult]:
        """The ``rolled-back`` event recorded in the candidate's audit log (``write`` with a
        candidate), or None. Built on first use."""
        recorded = self.raw.get("recorded")
        return None if recorded is None else ReleaseEventResult.from_dict(recorded)


@dataclass(frozen=True)
class AuthorityCheck(_FromJson):
    """What verifying one image's signatures against one authority of the trust policy found:
    whether a signature of it verified and, when not, why: ``reason``, a stable code
    (``unsigned``, ``signature-invalid``, ``identity-mismatch``, ``content-mismatch``,
    ``unreachable``…; docs/signing.md lists them), and ``message``, what exactly failed, for
    people."""

    authority: str = ""
    verified: bool = False
    reason: Optional[str] = None
    message: Optional[str] = None

    @classmethod
    def from_dict(cls, d: JsonDict) -> "AuthorityCheck":
        return cls(d, d["authority"], d["verified"], d.get("reason"), d.get("message"))


@dataclass(frozen=True)
class ImageDecision(_FromJson):
    """The trust policy's decision on one image: ``allowed``, or refused for ``reason``
    (``no-policy``, ``unsigned``, ``threshold-not-met``, ``required-missing``, or
    ``unverifiable``: the store failed, and ``message`` says "its signatures could not be read:
    …"); ``mode`` says whether a refusal stops the spec (``enforce``) or only warns (``warn``;
    never for an unverifiable image: see :attr:`ImageVerdict.outcome`). ``passed`` are the
    distinct authorities that verified and count, ``missing`` the required ones that did not."""

    allowed: bool = False
    mode: str = ""
    reason: Optional[str] = None
    passed: List[str] = field(default_factory=list)
    threshold: int = 0
    missing: List[str] = field(default_factory=list)
    message: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "ImageDecision":
        return cls(
            d,
            d["allowed"],
            d["mode"],
            d.get("reason"),
            list(d["passed"]),
            d["threshold"],
            list(d.get("missing", [])),
            d["message"],
        )


@dataclass(frozen=True)
class ImageVerdict(_FromJson):
    """The verdict on one image: its name (registry and repository), the manifest digest
    verified (the pinned one, or the tag's in the store), each authority's check, why its
    signatures could not be read at all (``unverifiable``: the store failed; never a pass), the
    decision, and ``outcome``, what happens to the image in one word: ``allowed``, ``warned``
    (refused where the policy only warns), ``refused`` (refused where it enforces) or
    ``unverifiable`` (refused in every mode)."""

    name: str = ""
    digest: Optional[str] = None
    checks: List[AuthorityCheck] = field(default_factory=list)
    unverifiable: Optional[str] = None
    decision: ImageDecision = field(default_factory=lambda: ImageDecision({}))
    outcome: str = ""

    @classmethod
    def from_dict(cls, d: JsonDict) -> "ImageVerdict":
        return cls(
            d,
            d["name"],
            d.get("digest"),
            [AuthorityCheck.from_dict(c) for c in d["checks"]],
            d.get("unverifiable"),
            ImageDecision.from_dict(d["decision"]),
            d["outcome"],
        )


@dataclass(frozen=True)
class VerifiedImage(_FromJson):
    """One image verified: the environment whose requirement applied, the app that runs it
    (None: an image named in the request), the image as the spec or the request names it,
    whether it is named by digest, and the verdict."""

    environment: Optional[str] = None
    app: Optional[str] = None
    reference: str = ""
    pinned: bool = False
    verdict: ImageVerdict = field(default_factory=lambda: ImageVerdict({}))

    @classmethod
    def from_dict(cls, d: JsonDict) -> "VerifiedImage":
        return cls(
            d,
            d.get("environment"),
            d.get("app"),
            d["reference"],
            d["pinned"],
            ImageVerdict.from_dict(d["verdict"]),
        )

    @property
    def allowed(self) -> bool:
        """Whether the policy lets the image run (its outcome is ``allowed``)."""
        return self.verdict.outcome == "allowed"

    @property
    def outcome(self) -> str:
        """What happens to the image: ``allowed``, ``warned``, ``refused`` or ``unverifiable``
        (the verdict's ``outcome``)."""
        return self.verdict.outcome


@dataclass(frozen=True)
class VerifyResult(_FromJson):
    """Images verified against the platform's trust policy: one verdict per image (by
    environment and app, in the spec's order), the findings (``signature/refused``,
    ``signature/unverifiable``, ``image/digest-required``, and what loading the specs found),
    with ``pin`` the files the verified digests go into (always there: empty without ``pin`` or
    with nothing to pin; ``written`` with ``write``) and, with a candidate, the
    ``signatures-verified`` evidence recorded in its audit log."""

    images: List[VerifiedImage] = field(default_factory=list)
    report: Report = field(default_factory=lambda: Report({}))
    files: List[FileChange] = field(default_factory=list)
    written: bool = False

    @classmethod
    def from_dict(cls, d: JsonDict) -> "VerifyResult":
        return cls(
            d,
            [VerifiedImage.from_dict(i) for i in d["images"]],
            Report.from_dict(d["report"]),
            [FileChange.from_dict(f) for f in d["files"]],
            d["written"],
        )

    @property
    def refused(self) -> List[VerifiedImage]:
        """The images the policy does not let run: each whose outcome is not ``allowed``
        (``warned``, ``refused`` or ``unverifiable``)."""
        return [i for i in self.images if i.outcome != "allowed"]

    @cached_property
    def recorded(self) -> Optional[ReleaseEventResult]:
        """The ``signatures-verified`` evidence recorded in the candidate's audit log (with a
        candidate), or None. Built on first use."""
        recorded = self.raw.get("recorded")
        return None if recorded is None else ReleaseEventResult.from_dict(recorded)
