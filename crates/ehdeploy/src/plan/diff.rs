//! The diff of two desired states into an ordered list of actions.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::Value;

use super::model::{Action, Change, Decision, Plan, PlanSummary, Risk};
use super::risk::RiskId;
use crate::platform::{CompiledProfile, Platform, SecretsConfig};
use crate::report::Location;
use crate::source::{pointer_join, unescape_pointer_token, Node, NodeKind, SourceMap};
use crate::spec::{
    effective_values, App, AppValues, DesiredState, LoadOptions, LoadedSpec, ValuesCache,
};
use crate::workload::quantity::Quantity;
use crate::workload::Workload;

/// One side of a plan: a loaded spec, and the effective values of each of its apps.
pub struct Side<'a> {
    pub(super) state: Cow<'a, DesiredState>,
    pub(super) tree: &'a Node,
    pub(super) apps: Cow<'a, IndexMap<String, AppSide>>,
}

/// An app's effective values and, when its chart has a profile, the platform's names of them.
#[derive(Clone)]
pub(super) struct AppSide {
    pub(super) values: AppValues,
    /// The chart profile that reads the values (without one, nothing is known of hosts etc.).
    pub(super) profile: Option<Arc<CompiledProfile>>,
    /// Values pointer → the platform's name of the value, read when first needed (most apps of
    /// a plan do not change, and never need it); the plans of neighbouring pairs of
    /// environments share a side, side by side.
    fields: OnceLock<Vec<(String, String)>>,
}

impl AppSide {
    pub(super) fn new(values: AppValues, profile: Option<Arc<CompiledProfile>>) -> AppSide {
        AppSide {
            values,
            profile,
            fields: OnceLock::new(),
        }
    }

    /// Values pointer → the platform's name of the value (`image.tag`, `replicas`, …).
    pub(super) fn fields(&self) -> &[(String, String)] {
        self.fields.get_or_init(|| {
            self.profile
                .as_ref()
                .map(|p| field_names(&self.values.values, p))
                .unwrap_or_default()
        })
    }

    /// Whether a chart profile reads the values.
    fn profiled(&self) -> bool {
        self.profile.is_some()
    }
}

impl<'a> Side<'a> {
    /// Compute every app's effective values (`None` when the spec did not load to a model).
    pub fn build(
        sources: &mut SourceMap,
        spec: &'a LoadedSpec,
        platform: Option<&Platform>,
        cache: &mut ValuesCache,
        options: &LoadOptions<'_>,
        findings: &mut Vec<crate::Finding>,
    ) -> Option<Side<'a>> {
        let (state, tree) = (spec.state.as_ref()?, spec.tree.as_ref()?);
        let mut apps = IndexMap::new();
        for (label, app) in state.apps.iter().flatten() {
            let Some(values) = effective_values(sources, cache, tree, label, options, findings)
            else {
                continue;
            };
            let profile = platform.and_then(|p| p.profile_of(app));
            apps.insert(label.clone(), AppSide::new(values, profile.cloned()));
        }
        Some(Side {
            state: Cow::Borrowed(state),
            tree,
            apps: Cow::Owned(apps),
        })
    }

    /// A side from effective values computed before (by `policy::check_spec_keeping_values`):
    /// the enabled apps' values, read through their chart profiles.
    pub fn from_values(
        spec: &'a LoadedSpec,
        platform: &Platform,
        values: IndexMap<String, AppValues>,
    ) -> Option<Side<'a>> {
        let (state, tree) = (spec.state.as_ref()?, spec.tree.as_ref()?);
        let mut apps = IndexMap::with_capacity(values.len());
        for (label, values) in values {
            let profile = state
                .apps
                .as_ref()
                .and_then(|a| a.get(&label))
                .and_then(|app| platform.profile_of(app));
            apps.insert(label, AppSide::new(values, profile.cloned()));
        }
        Some(Side {
            state: Cow::Borrowed(state),
            tree,
            apps: Cow::Owned(apps),
        })
    }
}

impl Side<'_> {
    /// What each enabled app of this side carries: its chart and version, and the image and
    /// digest its chart profile reads (a release candidate's artifacts).
    pub fn artifacts(&self) -> crate::promotion::Artifacts {
        self.releases()
            .into_iter()
            .map(|(app, (artifact, _))| (app, artifact))
            .collect()
    }

    /// What each enabled app of this side runs: its [`Side::artifacts`], and the image tag
    /// its chart profile reads, if any (an artifact names its image by digest only).
    pub fn releases(
        &self,
    ) -> std::collections::BTreeMap<String, (crate::promotion::Artifact, Option<String>)> {
        let mut out = std::collections::BTreeMap::new();
        for (label, side) in self.apps.iter() {
            let Some(app) = self.state.apps.as_ref().and_then(|a| a.get(label)) else {
                continue;
            };
            if app.enabled != Some(true) {
                continue;
            }
            let workload = side
                .profile
                .as_ref()
                .map(|p| Workload::read(&side.values.values, p));
            let text =
                |f: Option<&crate::workload::Field<'_>>| f.and_then(|f| f.node.scalar_text());
            let w = workload.as_ref();
            let artifact = crate::promotion::Artifact {
                chart: app.chart.clone().unwrap_or_default(),
                version: app.version.clone().unwrap_or_default(),
                image: text(w.and_then(|w| w.image.as_ref())),
                digest: text(w.and_then(|w| w.digest.as_ref())),
            };
            out.insert(
                label.clone(),
                (artifact, text(w.and_then(|w| w.tag.as_ref()))),
            );
        }
        out
    }
}

/// The platform's names of the values a profile reads, by pointer.
pub(super) fn field_names(values: &Node, profile: &CompiledProfile) -> Vec<(String, String)> {
    let w = Workload::read(values, profile);
    let mut out = Vec::new();
    for (field, name) in [
        (&w.image, "image.repository"),
        (&w.tag, "image.tag"),
        (&w.digest, "image.digest"),
        (&w.replicas, "replicas"),
        (&w.memory_request, "memory.request"),
        (&w.memory_limit, "memory.limit"),
        (&w.liveness, "probes.liveness"),
        (&w.readiness, "probes.readiness"),
        (&w.canary, "canary"),
    ] {
        if let Some(f) = field {
            out.push((f.pointer.to_string(), name.to_string()));
        }
    }
    out.extend(
        w.ports
            .iter()
            .map(|f| (f.pointer.to_string(), "ports".to_string())),
    );
    out.extend(
        w.hosts
            .iter()
            .map(|f| (f.pointer.to_string(), "hosts".to_string())),
    );
    out.extend(
        w.env
            .iter()
            .map(|n| (n.field.pointer.to_string(), format!("env.{}", n.name))),
    );
    out.extend(
        w.secrets
            .iter()
            .map(|n| (n.field.pointer.to_string(), format!("secrets.{}", n.name))),
    );
    out
}

/// What the plan needs to know beyond the two sides.
pub struct PlanContext<'a> {
    /// Every file read (to locate changes).
    pub sources: &'a SourceMap,
    /// How secrets are recognised (to mask them).
    pub secrets: &'a SecretsConfig,
    /// Whether the environment is production (removals get a risk note).
    pub production: bool,
}

/// The plan from `old` to `new`.
pub fn diff(old: &Side<'_>, new: &Side<'_>, ctx: &PlanContext<'_>) -> Plan {
    let mut actions: Vec<(bool, Action)> = Vec::new();
    let reverse_delete = new
        .state
        .settings
        .as_ref()
        .and_then(|s| s.reverse_delete)
        .unwrap_or(false);
    let empty = IndexMap::new();
    let old_apps = old.state.apps.as_ref().unwrap_or(&empty);
    let new_apps = new.state.apps.as_ref().unwrap_or(&empty);
    for (label, app) in new_apps {
        let before = old_apps.get(label).filter(|a| a.enabled == Some(true));
        let action = if app.enabled == Some(true) {
            match before {
                None => Some(create(label, app, new, ctx)),
                Some(prev) => Some(update(label, prev, app, old, new, ctx)),
            }
        } else {
            before.map(|prev| {
                let mut a = remove(label, prev, old, ctx, "disabled in the new spec");
                if is_protected(&new.state, app) {
                    a.decision = Decision::Protected;
                    a.reason = "disabled in the new spec, but protected: it stays installed".into();
                    a.risks.push(protected_risk(label));
                } else if reverse_delete {
                    a.priority = -a.priority;
                }
                a
            })
        };
        if let Some(a) = action {
            actions.push((false, a));
        }
    }
    for (label, prev) in old_apps {
        if prev.enabled == Some(true) && !new_apps.contains_key(label) {
            let mut a = remove(label, prev, old, ctx, "no longer in the spec (untracked)");
            if reverse_delete {
                a.priority = -a.priority;
            }
            actions.push((true, a));
        }
    }
    actions.sort_by_key(|(untracked, a)| (*untracked, a.priority));
    let actions: Vec<Action> = actions.into_iter().map(|(_, a)| a).collect();
    let summary = PlanSummary::of(&actions);
    Plan { actions, summary }
}

fn app_location(side: &Side<'_>, label: &str, ctx: &PlanContext<'_>) -> Option<Location> {
    let pointer = pointer_join("/apps", label);
    Some(
        ctx.sources
            .location(side.tree.span_at(&pointer, true), &pointer),
    )
}

fn base_action(label: &str, app: &App, side: &Side<'_>, ctx: &PlanContext<'_>) -> Action {
    Action {
        app: label.to_string(),
        release: app.release_name(label).to_string(),
        namespace: app.namespace.clone(),
        decision: Decision::Noop,
        priority: app.priority.unwrap_or(0),
        reason: String::new(),
        changes: Vec::new(),
        risks: Vec::new(),
        location: app_location(side, label, ctx),
    }
}

fn create(label: &str, app: &App, new: &Side<'_>, ctx: &PlanContext<'_>) -> Action {
    let mut a = base_action(label, app, new, ctx);
    a.decision = Decision::Create;
    a.reason = "new in the spec: install".into();
    a.changes = changes(label, None, Some(app), None, Some(new), ctx);
    a
}

fn remove(label: &str, prev: &App, old: &Side<'_>, ctx: &PlanContext<'_>, why: &str) -> Action {
    let mut a = base_action(label, prev, old, ctx);
    a.decision = Decision::Remove;
    a.reason = format!("{why}: uninstall");
    if let Some(side) = old.apps.get(label) {
        let hosts = hosts(side);
        if !hosts.is_empty() {
            a.risks.push(Risk {
                id: RiskId::DnsRemoved,
                message: format!("removing `{label}` stops serving {}", quoted(&hosts)),
            });
        }
    }
    if ctx.production {
        a.risks.push(Risk {
            id: RiskId::ProductionRemoval,
            message: format!("`{label}` is removed from production"),
        });
    }
    a
}

fn update(
    label: &str,
    prev: &App,
    app: &App,
    old: &Side<'_>,
    new: &Side<'_>,
    ctx: &PlanContext<'_>,
) -> Action {
    let mut a = base_action(label, app, new, ctx);
    // Most apps do not change: same DSF fields, same effective values.
    let same_values = match (old.apps.get(label), new.apps.get(label)) {
        (Some(x), Some(y)) => x.values.values.same_value(&y.values.values),
        (None, None) => true,
        _ => false,
    };
    if same_values && same_dsf_fields(prev, app) {
        a.reason = "no change".into();
        return a;
    }
    a.changes = changes(label, Some(prev), Some(app), Some(old), Some(new), ctx);
    let chart_name = |x: &App| {
        x.chart
            .as_deref()
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
    };
    let (decision, reason) = if prev.namespace != app.namespace {
        a.risks.push(Risk {
            id: RiskId::NamespaceMove,
            message: format!(
                "`{label}` moves from namespace `{}` to `{}`: Helmsman uninstalls and reinstalls it, and its persistent volumes are not moved",
                prev.namespace.as_deref().unwrap_or(""),
                app.namespace.as_deref().unwrap_or("")
            ),
        });
        (
            Decision::MoveNamespace,
            "namespace changes: uninstall, then install".to_string(),
        )
    } else if chart_name(prev) != chart_name(app) {
        (
            Decision::ReplaceChart,
            "the chart changes name: uninstall, then install".to_string(),
        )
    } else if prev.release_name(label) != app.release_name(label) {
        (
            Decision::ReplaceChart,
            "the release is renamed: uninstall, then install".to_string(),
        )
    } else if a.changes.is_empty() {
        (Decision::Noop, "no change".to_string())
    } else {
        (
            Decision::Change,
            format!("{} field(s) change: upgrade", a.changes.len()),
        )
    };
    a.decision = decision;
    a.reason = reason;
    if decision != Decision::Noop && is_protected(&new.state, app) {
        a.decision = Decision::Protected;
        a.reason = "protected: the changes are not applied".into();
        a.risks.push(protected_risk(label));
    }
    a.risks.extend(risks(
        label,
        prev,
        app,
        old.apps.get(label),
        new.apps.get(label),
    ));
    a
}

/// Whether two apps have the same DSF fields, where that can be told without comparing paths
/// as written (an app with file references other than its values files takes the long way).
/// Every field is named, so that a new field of `App` cannot be forgotten here.
fn same_dsf_fields(a: &App, b: &App) -> bool {
    let App {
        name,
        description,
        namespace,
        enabled,
        group,
        chart,
        version,
        values_file: _,
        values_files: _,
        secrets_file,
        secrets_files,
        post_renderer,
        test,
        protected,
        wait,
        timeout,
        no_hooks,
        priority,
        max_history,
        set: _,
        set_string: _,
        set_file,
        helm_flags,
        helm_diff_flags,
        hooks,
    } = a;
    let no_paths = |x: &App| {
        x.secrets_file.is_none()
            && x.secrets_files.is_empty()
            && x.post_renderer.is_none()
            && x.set_file.is_empty()
            && x.hooks.is_none()
    };
    let _ = (secrets_file, secrets_files, post_renderer, set_file, hooks);
    no_paths(a)
        && no_paths(b)
        && *name == b.name
        && *description == b.description
        && *namespace == b.namespace
        && *enabled == b.enabled
        && *group == b.group
        && *chart == b.chart
        && *version == b.version
        && *test == b.test
        && *protected == b.protected
        && *wait == b.wait
        && *timeout == b.timeout
        && *no_hooks == b.no_hooks
        && *priority == b.priority
        && *max_history == b.max_history
        && *helm_flags == b.helm_flags
        && *helm_diff_flags == b.helm_diff_flags
}

fn is_protected(state: &DesiredState, app: &App) -> bool {
    app.protected == Some(true)
        || app
            .namespace
            .as_deref()
            .and_then(|ns| state.namespaces.get(ns))
            .and_then(|n| n.as_ref())
            .is_some_and(|n| n.protected == Some(true))
}

fn protected_risk(label: &str) -> Risk {
    Risk {
        id: RiskId::Protected,
        message: format!("`{label}` is protected (app or namespace): the new spec changes it, and Helmsman will not apply that"),
    }
}

/// DSF fields of an app that Helm sees through the values, not as such.
const VALUES_FIELDS: [&str; 5] = ["valuesFile", "valuesFiles", "set", "setString", "setFile"];

/// DSF fields of an app that hold file paths (resolved when loaded).
const PATH_FIELDS: [&str; 5] = [
    "secretsFile",
    "secretsFiles",
    "setFile",
    "postRenderer",
    "hooks",
];

/// A value as written in its file: strings are the text of the source, unquoted.
fn written(sources: &SourceMap, node: &Node) -> Value {
    match &node.kind {
        NodeKind::Str(_) => {
            let text = sources
                .file(node.span.file)
                .map(|f| f.slice(node.span))
                .unwrap_or("");
            let text = text.trim();
            let unquoted = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
                .unwrap_or(text);
            Value::String(unquoted.to_string())
        }
        NodeKind::Seq(items) => Value::Array(items.iter().map(|n| written(sources, n)).collect()),
        NodeKind::Map(m) => Value::Object(
            m.iter()
                .map(|(k, e)| (k.to_string(), written(sources, &e.value)))
                .collect(),
        ),
        _ => node.to_json(),
    }
}

/// Field-level changes: the app's DSF fields, then its effective values.
fn changes(
    label: &str,
    prev: Option<&App>,
    app: Option<&App>,
    old: Option<&Side<'_>>,
    new: Option<&Side<'_>>,
    ctx: &PlanContext<'_>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let as_map = |a: Option<&App>| match a.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    };
    let (mut before, mut after) = (as_map(prev), as_map(app));
    // Paths are compared as written: the two sides may be two checkouts in different folders.
    for (map, side) in [(&mut before, old), (&mut after, new)] {
        let Some(side) = side else { continue };
        for key in PATH_FIELDS {
            let pointer = pointer_join(&pointer_join("/apps", label), key);
            if let (true, Some(node)) = (map.contains_key(key), side.tree.pointer(&pointer)) {
                map.insert(key.to_string(), written(ctx.sources, node));
            }
        }
    }
    let mut keys: Vec<&String> = before.keys().collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
    let app_pointer = pointer_join("/apps", label);
    for key in keys {
        if VALUES_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let (f, t) = (before.get(key), after.get(key));
        if f == t {
            continue;
        }
        let pointer = pointer_join(&app_pointer, key);
        let location = new.filter(|_| t.is_some()).or(old).map(|s| {
            ctx.sources
                .location(s.tree.span_at(&pointer, false), &pointer)
        });
        out.push(Change {
            path: key.clone(),
            field: None,
            from: f.cloned(),
            to: t.cloned(),
            secret: false,
            location,
        });
    }
    let old_app = old.and_then(|s| s.apps.get(label));
    let new_app = new.and_then(|s| s.apps.get(label));
    let mut raw = Vec::new();
    diff_values(
        old_app.map(|a| &a.values.values),
        new_app.map(|a| &a.values.values),
        String::new(),
        &mut raw,
    );
    for (pointer, f, t) in raw {
        let secret = pointer
            .split('/')
            .skip(1)
            .any(|token| ctx.secrets.is_secret_key(&unescape_pointer_token(token)));
        let mask = |n: Option<&Node>| {
            n.map(|n| {
                if secret {
                    Value::String("***".into())
                } else {
                    n.to_json()
                }
            })
        };
        let field = new_app
            .or(old_app)
            .and_then(|a| field_of(a.fields(), &pointer))
            .or_else(|| old_app.and_then(|a| field_of(a.fields(), &pointer)));
        let location = match (t, new_app, f, old_app) {
            (Some(n), Some(side), _, _) | (None, _, Some(n), Some(side)) => {
                let shown = side.values.pointer_of(n, &pointer);
                Some(ctx.sources.location(n.span, &shown))
            }
            _ => None,
        };
        out.push(Change {
            path: format!("values{pointer}"),
            field,
            from: mask(f),
            to: mask(t),
            secret,
            location,
        });
    }
    out
}

/// The platform's name of the value at `pointer`: the field whose pointer it is, or is under.
fn field_of(fields: &[(String, String)], pointer: &str) -> Option<String> {
    fields
        .iter()
        .filter(|(p, _)| {
            pointer == p
                || pointer
                    .strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(_, name)| name.clone())
}

/// Leaf-level differences of two values trees: (pointer, old, new).
fn diff_values<'n>(
    old: Option<&'n Node>,
    new: Option<&'n Node>,
    pointer: String,
    out: &mut Vec<(String, Option<&'n Node>, Option<&'n Node>)>,
) {
    match (old, new) {
        (Some(a), Some(b)) if a.same_value(b) => {}
        (
            Some(Node {
                kind: NodeKind::Map(a),
                ..
            }),
            Some(Node {
                kind: NodeKind::Map(b),
                ..
            }),
        ) => {
            for (k, e) in a.iter() {
                diff_values(
                    Some(&e.value),
                    b.get(k).map(|x| &x.value),
                    pointer_join(&pointer, k),
                    out,
                );
            }
            for (k, e) in b.iter().filter(|(k, _)| !a.contains_key(k)) {
                diff_values(None, Some(&e.value), pointer_join(&pointer, k), out);
            }
        }
        (
            Some(Node {
                kind: NodeKind::Map(a),
                ..
            }),
            None,
        ) => {
            for (k, e) in a.iter() {
                diff_values(Some(&e.value), None, pointer_join(&pointer, k), out);
            }
        }
        (
            None,
            Some(Node {
                kind: NodeKind::Map(b),
                ..
            }),
        ) => {
            for (k, e) in b.iter() {
                diff_values(None, Some(&e.value), pointer_join(&pointer, k), out);
            }
        }
        (None, None) => {}
        (a, b) => out.push((pointer, a, b)),
    }
}

fn hosts(side: &AppSide) -> Vec<String> {
    side.fields()
        .iter()
        .filter(|(_, name)| name == "hosts")
        .filter_map(|(p, _)| side.values.values.pointer(p)?.as_str().map(str::to_string))
        .collect()
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn value_of<'s>(side: &'s AppSide, name: &str) -> Option<&'s Node> {
    let (p, _) = side.fields().iter().find(|(_, n)| n == name)?;
    side.values.values.pointer(p)
}

/// A version as semver, leniently: a leading `v`, and a missing minor or patch, are accepted.
fn loose_semver(text: &str) -> Option<semver::Version> {
    let t = text.trim().trim_start_matches('v');
    semver::Version::parse(t)
        .or_else(|_| semver::Version::parse(&format!("{t}.0")))
        .or_else(|_| semver::Version::parse(&format!("{t}.0.0")))
        .ok()
}

fn risks(
    label: &str,
    prev: &App,
    app: &App,
    old: Option<&AppSide>,
    new: Option<&AppSide>,
) -> Vec<Risk> {
    let mut out = Vec::new();
    let versions = (
        prev.version.as_deref().and_then(loose_semver),
        app.version.as_deref().and_then(loose_semver),
    );
    if let (Some(a), Some(b)) = versions {
        if b.major > a.major {
            out.push(Risk {
                id: RiskId::ChartMajor,
                message: format!("chart of `{label}` goes up a major version: {a} → {b}"),
            });
        } else if b < a {
            out.push(Risk {
                id: RiskId::ChartDowngrade,
                message: format!("chart of `{label}` goes down: {a} → {b}"),
            });
        }
    }
    let (Some(old), Some(new)) = (old.filter(|s| s.profiled()), new.filter(|s| s.profiled()))
    else {
        return out;
    };
    let text = |side: &AppSide, name: &str| value_of(side, name).and_then(Node::scalar_text);
    if let (Some(a), Some(b)) = (text(old, "image.tag"), text(new, "image.tag")) {
        if let (Some(va), Some(vb)) = (loose_semver(&a), loose_semver(&b)) {
            if vb < va {
                out.push(Risk {
                    id: RiskId::ImageDowngrade,
                    message: format!("image of `{label}` goes down: {a} → {b}"),
                });
            }
        }
    }
    let replicas = |side: &AppSide| match value_of(side, "replicas").map(|n| &n.kind) {
        Some(NodeKind::Int(n)) => Some(*n),
        _ => None,
    };
    if let (Some(a), Some(0)) = (replicas(old), replicas(new)) {
        if a > 0 {
            out.push(Risk {
                id: RiskId::ReplicasZero,
                message: format!("`{label}` goes from {a} replicas to 0"),
            });
        }
    }
    let memory =
        |side: &AppSide| text(side, "memory.limit").and_then(|t| t.parse::<Quantity>().ok());
    if let (Some(a), Some(b)) = (memory(old), memory(new)) {
        if b.bytes() * 2 < a.bytes() {
            out.push(Risk {
                id: RiskId::MemoryCut,
                message: format!("memory limit of `{label}` is cut by more than half: {a} → {b}"),
            });
        }
    }
    let (before, after) = (hosts(old), hosts(new));
    let gone: Vec<String> = before.into_iter().filter(|h| !after.contains(h)).collect();
    if !gone.is_empty() {
        out.push(Risk {
            id: RiskId::DnsRemoved,
            message: format!("`{label}` no longer serves {}", quoted(&gone)),
        });
    }
    out
}
