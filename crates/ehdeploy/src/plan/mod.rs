//! Plans: what a change of the desired state (or a promotion) does, app by app, offline.
//!
//! A plan compares two loaded specs, each with every app's effective values, and gives each app
//! Helmsman's decision (create, change, remove, no-op, protected, namespace move, chart
//! rename), the field-level changes of its DSF entry and of its effective values (named by the
//! platform's chart profile where it knows them), and risk notes with stable ids. Secrets are
//! never shown: values under secret-looking keys are `***`, and secrets files are never read.

mod diff;
mod model;
mod promote;
mod render;
mod risk;
mod write;

pub use diff::{diff, PlanContext, Side};
pub use model::{Action, Change, Decision, Plan, PlanSummary, Risk};
pub use promote::{promote, PromotionNote};
pub use render::{render, PlanFormat};
pub use risk::RiskId;
pub use write::{promotion_edits, value_edits, EditContext, Ownership, PromotionEdits};
