//! Choosing the revision a rollback goes back to, from the environment's releases at each
//! revision and the audit logs' health records. Pure: no git, no files.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Revision;
use crate::promotion::Artifact;

/// What one app runs at a revision: its artifact (chart, version, image, digest) and its
/// image tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Released {
    /// Chart, version, image and digest.
    #[serde(flatten)]
    pub artifact: Artifact,
    /// The image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// An environment at one revision: what each enabled app runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The revision.
    pub revision: Revision,
    /// Each enabled app's release.
    pub apps: BTreeMap<String, Released>,
}

/// A release the audit log records healthy in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthyRecord {
    /// The candidate whose log records it.
    pub candidate: String,
    /// The app.
    pub app: String,
    /// What it ran.
    pub artifact: Artifact,
}

/// What is rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One app.
    App(&'a str),
    /// Every app of the environment.
    Environment,
}

impl Scope<'_> {
    fn covers(&self, app: &str) -> bool {
        match self {
            Scope::App(a) => *a == app,
            Scope::Environment => true,
        }
    }
}

/// The revision chosen, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Its index in the history.
    pub index: usize,
    /// The apps whose release it changes back, in name order.
    pub apps: Vec<String>,
    /// Per app, the candidate whose log records its release there healthy (none: not
    /// healthy by record, for a target given by hand).
    pub records: BTreeMap<String, String>,
}

/// The apps in `scope` whose release differs between `a` and `b` (present in one only
/// included).
pub fn differing(a: &Snapshot, b: &Snapshot, scope: Scope<'_>) -> Vec<String> {
    let mut apps: Vec<&String> = a.apps.keys().chain(b.apps.keys()).collect();
    apps.sort();
    apps.dedup();
    apps.into_iter()
        .filter(|app| scope.covers(app) && a.apps.get(*app) != b.apps.get(*app))
        .cloned()
        .collect()
}

/// Per app of `apps`, the candidate recording `snapshot`'s release of it healthy; `None` when
/// one app has none (or is not in the snapshot).
fn records_for(
    snapshot: &Snapshot,
    apps: &[String],
    healthy: &[HealthyRecord],
) -> Option<BTreeMap<String, String>> {
    apps.iter()
        .map(|app| {
            let released = snapshot.apps.get(app)?;
            healthy
                .iter()
                .find(|r| &r.app == app && r.artifact == released.artifact)
                .map(|r| (app.clone(), r.candidate.clone()))
        })
        .collect()
}

/// The newest revision of `history` (newest first, HEAD at 0) where an app of `scope` runs
/// something else than at HEAD, and every such release is healthy by record (an app missing
/// there, added since, never is). `None` when there is none.
pub fn choose(history: &[Snapshot], scope: Scope<'_>, healthy: &[HealthyRecord]) -> Option<Choice> {
    let head = history.first()?;
    history
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(index, snapshot)| {
            let apps = differing(head, snapshot, scope);
            if apps.is_empty() {
                return None;
            }
            let records = records_for(snapshot, &apps, healthy)?;
            Some(Choice {
                index,
                apps,
                records,
            })
        })
}

/// The choice for a target given by hand: the apps of `scope` it changes back, and the
/// records of those that are healthy by record.
pub fn chosen(
    head: &Snapshot,
    target: &Snapshot,
    index: usize,
    scope: Scope<'_>,
    healthy: &[HealthyRecord],
) -> Choice {
    let apps = differing(head, target, scope);
    let records = apps
        .iter()
        .filter_map(|app| records_for(target, std::slice::from_ref(app), healthy))
        .flatten()
        .collect();
    Choice {
        index,
        apps,
        records,
    }
}

/// A commit between HEAD and the target that changed the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Between {
    /// The commit.
    pub revision: Revision,
    /// The apps whose release it changed (in name order).
    pub apps: Vec<String>,
    /// Those of them the rollback does not take back: a person decides about these.
    pub others: Vec<String>,
}

/// Every commit of `history[..until]` that changed a release of the environment (compared
/// with the commit before it), newest first, naming the apps the rollback of `rolled` leaves
/// as they are.
pub fn between(history: &[Snapshot], until: usize, rolled: &[String]) -> Vec<Between> {
    history
        .windows(2)
        .take(until)
        .filter_map(|pair| {
            let apps = differing(&pair[0], &pair[1], Scope::Environment);
            if apps.is_empty() {
                return None;
            }
            let others = apps
                .iter()
                .filter(|a| !rolled.contains(a))
                .cloned()
                .collect();
            Some(Between {
                revision: pair[0].revision.clone(),
                apps,
                others,
            })
        })
        .collect()
}
