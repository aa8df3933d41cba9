//! # ehdeploy
//!
//! Validate, plan, verify and promote Helmsman desired-state specifications on a regulated
//! platform. The modules follow `DESIGN.md`: [`source`] reads YAML and TOML into located trees,
//! [`spec`] holds the desired-state model, [`workload`] the platform's view of each app,
//! [`platform`] the platform file, [`policy`] the rules, [`promotion`] the release pipeline and its audit log, [`canary`] canary analysis and its decisions, [`report`] findings and their renderers,
//! and [`api`] the operations every binding calls.

pub mod api;
pub mod canary;
mod error;
#[cfg(any(feature = "prometheus", feature = "registry"))]
mod http;
mod parallel;
pub mod plan;
pub mod platform;
pub mod policy;
pub mod promotion;
pub mod report;
#[cfg(feature = "git")]
pub mod rollback;
pub mod rollout;
pub mod rules;
pub mod schema;
#[cfg(feature = "signatures")]
pub mod signing;
pub mod source;
pub mod spec;
pub mod suggest;
mod term;
pub mod trust;
pub mod workload;

pub use error::Error;
pub use report::{Finding, Location, NextPromotion, Report, Severity};
pub use rules::RuleId;
