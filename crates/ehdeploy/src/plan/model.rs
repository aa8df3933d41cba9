//! What a plan says: an action per app, with its decision, changes and risks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::risk::RiskId;
use crate::report::Location;

/// What applying a new desired state (or a promotion) does, app by app, in the order Helmsman
/// would do it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ehdeploy plan")]
pub struct Plan {
    /// The actions, in execution order.
    pub actions: Vec<Action>,
    /// Counts.
    pub summary: PlanSummary,
}

/// Counts of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlanSummary {
    /// Apps installed.
    pub create: usize,
    /// Apps upgraded in place.
    pub change: usize,
    /// Apps uninstalled.
    pub remove: usize,
    /// Apps left as they are.
    pub noop: usize,
    /// Protected apps that the new spec would change (nothing is done to them).
    pub protected: usize,
    /// Apps moved to another namespace (uninstalled, then installed).
    pub move_namespace: usize,
    /// Apps whose chart changes name (uninstalled, then installed).
    pub replace_chart: usize,
    /// Risk notes over all actions.
    pub risks: usize,
}

impl PlanSummary {
    /// The counts of a list of actions.
    pub fn of(actions: &[Action]) -> PlanSummary {
        let count = |d: Decision| actions.iter().filter(|a| a.decision == d).count();
        PlanSummary {
            create: count(Decision::Create),
            change: count(Decision::Change),
            remove: count(Decision::Remove),
            noop: count(Decision::Noop),
            protected: count(Decision::Protected),
            move_namespace: count(Decision::MoveNamespace),
            replace_chart: count(Decision::ReplaceChart),
            risks: actions.iter().map(|a| a.risks.len()).sum(),
        }
    }

    /// Whether the plan changes anything.
    pub fn has_changes(&self) -> bool {
        self.create + self.change + self.remove + self.move_namespace + self.replace_chart > 0
    }
}

/// What happens to one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Action {
    /// The app's label (its key under `apps`).
    pub app: String,
    /// The Helm release name.
    pub release: String,
    /// The namespace it ends up in (for a removal: the one it is removed from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The decision.
    pub decision: Decision,
    /// The priority it runs at (Helmsman's order: lowest first).
    pub priority: i64,
    /// Why, in words.
    pub reason: String,
    /// What changes, field by field (secrets masked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Risk notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Risk>,
    /// Where the app is written (in the new spec; in the old one for a removal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// Helmsman's decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Install.
    Create,
    /// Upgrade in place.
    Change,
    /// Uninstall: disabled in the new spec, or gone from it (Helmsman's "untracked").
    Remove,
    /// Nothing to do.
    Noop,
    /// The new spec changes a protected release: nothing is done.
    Protected,
    /// Uninstall from the old namespace, install in the new one.
    MoveNamespace,
    /// The chart changes name: uninstall, then install.
    ReplaceChart,
}

impl Decision {
    /// The decision's name as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Create => "create",
            Decision::Change => "change",
            Decision::Remove => "remove",
            Decision::Noop => "noop",
            Decision::Protected => "protected",
            Decision::MoveNamespace => "move-namespace",
            Decision::ReplaceChart => "replace-chart",
        }
    }
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Change {
    /// What changes: a DSF field of the app (`version`, `chart`, `secretsFiles`, …) or a value of
    /// its effective values as `values` and a JSON pointer (`values/image/tag`).
    pub path: String,
    /// The platform's name of the value, when the chart profile knows it (`image.tag`,
    /// `replicas`, `memory.limit`, `hosts`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The old value (absent: the field is new). `"***"` for a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<serde_json::Value>,
    /// The new value (absent: the field is removed). `"***"` for a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<serde_json::Value>,
    /// Whether the value is a secret (and so masked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// Where the new value is written (the old one for a removed field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A risk note on an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// The note's stable id.
    pub id: RiskId,
    /// What, with the values involved.
    pub message: String,
}
