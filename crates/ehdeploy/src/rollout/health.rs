//! Each app's roll-out, classified from its deployment, replica sets and pods, with the next
//! step the platform's rules give and the evidence for it.
//!
//! The platform's rules: new pods that fail their liveness or readiness probes never receive
//! traffic, and the old pods keep serving; the person who started the deployment decides
//! between a configuration fix and a rollback. A release whose pods were ready and then fail
//! is bad: roll it back.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Container, Pod, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::objects::Objects;

/// How a roll-out stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutState {
    /// New pods are starting, nothing has failed yet.
    Progressing,
    /// Every replica is new, ready and available; no old pod is left.
    Healthy,
    /// The new pods never became ready: traffic stays on the old ones.
    Stalled,
    /// The new pods were ready, took traffic, and now fail.
    Degraded,
    /// Not enough to tell (no deployment found, no status).
    Unknown,
}

/// What the platform's rules say to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NextAction {
    /// Nothing: the roll-out is done.
    Nothing,
    /// Wait: the roll-out is under way.
    Wait,
    /// The person who deployed decides: fix the configuration (or the image reference), or
    /// roll back. The old pods keep serving meanwhile.
    FixConfigurationOrRollBack,
    /// Roll back: the release took traffic and fails.
    RollBack,
    /// Look at the cluster: the objects do not tell.
    Investigate,
}

/// One container of a new pod that is not well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodProblem {
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// Why: `CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `NotReady`, …
    pub reason: String,
    /// Restarts so far.
    pub restarts: i32,
    /// The probe that fails, as the pod spec declares it (`readiness probe: HTTP GET
    /// /health/ready on port 8080`), when the status points at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// The container's last state (`terminated: OOMKilled, exit code 137`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_state: Option<String>,
    /// The kubelet's message, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Replica counts of a roll-out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    /// Desired.
    pub desired: i32,
    /// Running the new revision.
    pub updated: i32,
    /// Ready (all revisions).
    pub ready: i32,
    /// Available (all revisions).
    pub available: i32,
    /// Ready pods of older revisions: who serves while the new ones are not ready.
    pub old_ready: i32,
}

/// One app's roll-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppRollout {
    /// The app (the Helmsman release).
    pub app: String,
    /// Its namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The deployment, if one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// The deployment's revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// How it stands.
    pub state: RolloutState,
    /// What to do next.
    pub next: NextAction,
    /// Why, in one line.
    pub reason: String,
    /// Replica counts.
    pub replicas: Replicas,
    /// The new pods' problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<PodProblem>,
}

/// Every app's roll-out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutReport {
    /// By app, in the order asked (or of the deployments).
    pub apps: Vec<AppRollout>,
}

impl RolloutReport {
    /// The report for a person: one line per app (state, next step, why), then each
    /// failing container.
    pub fn human(&self) -> String {
        let mut t = String::new();
        for a in &self.apps {
            let state = serde_json::to_value(a.state).unwrap_or_default();
            let next = serde_json::to_value(a.next).unwrap_or_default();
            t.push_str(&format!(
                "{:<20} {:<12} next: {}\n    {}\n",
                a.app,
                state.as_str().unwrap_or(""),
                next.as_str().unwrap_or(""),
                a.reason
            ));
            for p in &a.problems {
                t.push_str(&format!("    - {}/{}: {}", p.pod, p.container, p.reason));
                if p.restarts > 0 {
                    t.push_str(&format!(", {} restarts", p.restarts));
                }
                for extra in [&p.probe, &p.last_state, &p.message].into_iter().flatten() {
                    t.push_str(&format!("; {extra}"));
                }
                t.push('\n');
            }
        }
        t
    }
}

/// An app to look for: its name and, if known, its namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The app (Helmsman release) name.
    pub app: String,
    /// Its namespace.
    pub namespace: Option<String>,
}

/// Waiting reasons that do not pass by themselves.
const STUCK: [&str; 7] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// Restarts from which a container counts as failing even between crash-loop back-offs.
const RESTARTS: i32 = 3;

/// Classify the roll-out of each wanted app (every deployment of `objects` when `wanted` is
/// `None`).
pub fn health(objects: &Objects, wanted: Option<&[Wanted]>) -> RolloutReport {
    let apps = match wanted {
        Some(wanted) => wanted
            .iter()
            .map(|w| match find(objects, w) {
                Some(d) => classify(objects, d, &w.app),
                None => AppRollout {
                    app: w.app.clone(),
                    namespace: w.namespace.clone(),
                    deployment: None,
                    revision: None,
                    state: RolloutState::Unknown,
                    next: NextAction::Investigate,
                    reason: format!(
                        "no deployment of `{}`{} among the objects",
                        w.app,
                        w.namespace
                            .as_deref()
                            .map(|n| format!(" in namespace `{n}`"))
                            .unwrap_or_default()
                    ),
                    replicas: Replicas::default(),
                    problems: Vec::new(),
                },
            })
            .collect(),
        None => objects
            .deployments
            .iter()
            .map(|d| {
                let app = instance(&d.metadata).unwrap_or_else(|| name(&d.metadata).to_string());
                classify(objects, d, &app)
            })
            .collect(),
    };
    RolloutReport { apps }
}

fn name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn label<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

/// The Helm release a deployment belongs to, by its standard labels.
fn instance(meta: &ObjectMeta) -> Option<String> {
    ["app.kubernetes.io/instance", "release"]
        .into_iter()
        .find_map(|k| label(meta, k))
        .map(str::to_string)
}

/// The deployment of an app: by release label, else by name; in its namespace when known.
fn find<'a>(objects: &'a Objects, w: &Wanted) -> Option<&'a Deployment> {
    let in_ns = |d: &&Deployment| {
        w.namespace
            .as_deref()
            .is_none_or(|n| d.metadata.namespace.as_deref() == Some(n))
    };
    let candidates: Vec<&Deployment> = objects.deployments.iter().filter(in_ns).collect();
    candidates
        .iter()
        .find(|d| instance(&d.metadata).as_deref() == Some(w.app.as_str()))
        .or_else(|| candidates.iter().find(|d| name(&d.metadata) == w.app))
        .copied()
}

/// Whether `meta` is owned by the object with `owner`'s uid (or, without uids, is named after
/// it as Kubernetes names its children).
fn owned_by(meta: &ObjectMeta, owner: &ObjectMeta) -> bool {
    match (&meta.owner_references, &owner.uid) {
        (Some(refs), Some(uid)) => refs.iter().any(|r| &r.uid == uid),
        _ => {
            meta.namespace == owner.namespace
                && name(meta).starts_with(&format!("{}-", name(owner)))
        }
    }
}

fn revision(meta: &ObjectMeta) -> Option<&str> {
    annotation(meta, "deployment.kubernetes.io/revision")
}

fn classify(objects: &Objects, d: &Deployment, app: &str) -> AppRollout {
    let sets: Vec<&ReplicaSet> = objects
        .replica_sets
        .iter()
        .filter(|rs| owned_by(&rs.metadata, &d.metadata))
        .collect();
    let current = revision(&d.metadata);
    let rev_of = |rs: &&ReplicaSet| revision(&rs.metadata).and_then(|r| r.parse::<u64>().ok());
    let new_rs = sets
        .iter()
        .find(|rs| current.is_some() && revision(&rs.metadata) == current)
        .or_else(|| sets.iter().max_by_key(|rs| rev_of(rs)))
        .copied();
    let old_ready: i32 = sets
        .iter()
        .filter(|rs| Some(**rs) != new_rs)
        .filter_map(|rs| rs.status.as_ref()?.ready_replicas)
        .sum();
    let new_pods: Vec<&Pod> = match new_rs {
        Some(rs) => objects
            .pods
            .iter()
            .filter(|p| owned_by(&p.metadata, &rs.metadata))
            .collect(),
        None => Vec::new(),
    };
    let status = d.status.as_ref();
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let replicas = Replicas {
        desired,
        updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        old_ready,
    };
    let problems: Vec<PodProblem> = new_pods.iter().flat_map(|p| pod_problems(p)).collect();
    let deadline = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .find(|c| {
            c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        });
    let observed = match (
        status.and_then(|s| s.observed_generation),
        d.metadata.generation,
    ) {
        (Some(o), Some(g)) => o >= g,
        _ => status.is_some(),
    };
    let stuck = problems.iter().any(|p| {
        STUCK.contains(&p.reason.as_str()) || p.reason == "OOMKilled" || p.restarts >= RESTARTS
    });
    // The new revision took over: every replica updated, no old pod serving.
    let took_over = replicas.updated >= desired && old_ready == 0;
    let (state, next, reason) = if status.is_none() {
        (
            RolloutState::Unknown,
            NextAction::Investigate,
            "the deployment has no status yet".to_string(),
        )
    } else if observed
        && took_over
        && replicas.ready >= desired
        && replicas.available >= desired
        && problems.is_empty()
    {
        (
            RolloutState::Healthy,
            NextAction::Nothing,
            format!("{desired} of {desired} replicas of the new revision ready"),
        )
    } else if took_over && (stuck || replicas.ready < desired) && !new_pods.is_empty() {
        (
            RolloutState::Degraded,
            NextAction::RollBack,
            format!(
                "the new revision took over and {} of {desired} replicas are ready now: {}",
                replicas.ready,
                summary(&problems)
            ),
        )
    } else if stuck || deadline.is_some() {
        let image = problems.iter().any(|p| {
            matches!(
                p.reason.as_str(),
                "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName"
            )
        });
        let serving = if old_ready > 0 {
            format!("the old pods keep serving ({old_ready} ready)")
        } else {
            "no old pod is ready either".to_string()
        };
        let why = match (deadline, problems.is_empty()) {
            (Some(c), true) => c
                .message
                .clone()
                .unwrap_or_else(|| "the progress deadline passed".into()),
            _ => summary(&problems),
        };
        let fix = if image {
            "fix the image reference or roll back"
        } else {
            "fix the configuration or roll back"
        };
        (
            RolloutState::Stalled,
            NextAction::FixConfigurationOrRollBack,
            format!("the new pods never became ready ({why}); {serving}; {fix}"),
        )
    } else {
        (
            RolloutState::Progressing,
            NextAction::Wait,
            format!(
                "{} of {desired} replicas updated, {} ready",
                replicas.updated, replicas.ready
            ),
        )
    };
    AppRollout {
        app: app.to_string(),
        namespace: d.metadata.namespace.clone(),
        deployment: d.metadata.name.clone(),
        revision: current.map(str::to_string),
        state,
        next,
        reason,
        replicas,
        problems,
    }
}

/// The problems in one line.
fn summary(problems: &[PodProblem]) -> String {
    if problems.is_empty() {
        return "no container reports a reason".into();
    }
    problems
        .iter()
        .map(|p| {
            let mut s = format!("{}/{}: {}", p.pod, p.container, p.reason);
            if p.restarts > 0 {
                s.push_str(&format!(", {} restarts", p.restarts));
            }
            if let Some(probe) = &p.probe {
                s.push_str(&format!(", {probe} failing"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The problems of one pod's containers.
fn pod_problems(pod: &Pod) -> Vec<PodProblem> {
    let spec_of = |name: &str| -> Option<&Container> {
        pod.spec
            .as_ref()?
            .containers
            .iter()
            .find(|c| c.name == name)
    };
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten();
    let mut out = Vec::new();
    for cs in statuses {
        let spec = spec_of(&cs.name);
        let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
        let running = cs.state.as_ref().and_then(|s| s.running.as_ref()).is_some();
        let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        let last_state = last.map(|t| {
            format!(
                "terminated: {}, exit code {}",
                t.reason.as_deref().unwrap_or("unknown"),
                t.exit_code
            )
        });
        let oom = last.is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"));
        // Killed by the kubelet (SIGKILL/SIGTERM) without running out of memory: its liveness
        // probe, when it has one.
        let liveness_kill = !oom
            && cs.restart_count > 0
            && last.is_some_and(|t| matches!(t.exit_code, 137 | 143))
            && spec.is_some_and(|c| c.liveness_probe.is_some());
        let (reason, message) = match waiting.and_then(|w| w.reason.as_deref()) {
            Some(r) if STUCK.contains(&r) || r == "ContainerCreating" || r == "PodInitializing" => {
                (Some(r.to_string()), waiting.and_then(|w| w.message.clone()))
            }
            _ if oom => (Some("OOMKilled".to_string()), None),
            _ if running && !cs.ready => (Some("NotReady".to_string()), None),
            _ if cs.restart_count >= RESTARTS => (Some("Restarting".to_string()), None),
            _ => (None, None),
        };
        let Some(reason) = reason else { continue };
        if reason == "ContainerCreating" || reason == "PodInitializing" {
            continue;
        }
        let probe = if liveness_kill {
            spec.and_then(|c| c.liveness_probe.as_ref())
                .map(|p| describe("liveness", p))
        } else if reason == "NotReady" {
            spec.and_then(|c| c.readiness_probe.as_ref())
                .map(|p| describe("readiness", p))
        } else {
            None
        };
        out.push(PodProblem {
            pod: name(&pod.metadata).to_string(),
            container: cs.name.clone(),
            reason,
            restarts: cs.restart_count,
            probe,
            last_state,
            message,
        });
    }
    out
}

/// A probe as a person reads it: `readiness probe: HTTP GET /health/ready on port 8080`.
fn describe(kind: &str, probe: &Probe) -> String {
    let port = |p: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString| match p {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    };
    let what = if let Some(h) = &probe.http_get {
        format!(
            "HTTP GET {} on port {}",
            h.path.as_deref().unwrap_or("/"),
            port(&h.port)
        )
    } else if let Some(t) = &probe.tcp_socket {
        format!("TCP port {}", port(&t.port))
    } else if let Some(e) = &probe.exec {
        format!("exec {}", e.command.clone().unwrap_or_default().join(" "))
    } else if let Some(g) = &probe.grpc {
        format!("gRPC port {}", g.port)
    } else {
        "declared".to_string()
    };
    format!("{kind} probe: {what}")
}
