//! Promotion: the release pipeline as data, release candidates, the state machine with its
//! gates and hotfix lane, and the hash-chained audit log (`docs/promotion.md`).
//!
//! ```
//! use ehdeploy::promotion::{apply, Actor, Event, Pipeline, PipelineConfig, Release};
//! let envs = ["inttest".to_string(), "prod".to_string()];
//! let (pipeline, problems) = Pipeline::compile(&envs, &PipelineConfig::default());
//! assert!(problems.is_empty());
//! let alice = Actor { name: "alice".into(), roles: vec![] };
//! let now = "2026-11-26T09:00:00Z".parse().unwrap();
//! let created = Event::CandidateCreated {
//!     candidate: "rc-1".into(), revision: "abc123".into(), artifacts: Default::default(),
//! };
//! let release = apply(&Release::default(), &alice, &created, &pipeline, now).unwrap();
//! // prod before inttest: refused, with the reasons.
//! let refusal = apply(&release, &alice, &Event::Promoted { to: "prod".into(), artifacts: Default::default() }, &pipeline, now).unwrap_err();
//! assert!(refusal.reasons.iter().any(|r| r.code.as_str() == "gate/not-deployed"));
//! ```

mod config;
mod event;
mod log;
mod pipeline;
mod refusal;
mod state;
mod status;

pub use config::{
    Day, Entry, Evidence, ExitGates, Freeze, HotfixConfig, PipelineConfig, StageConfig,
    WeeklyWindow,
};
pub use event::{Actor, Artifact, Artifacts, Event};
pub use log::{
    entry_line, record, replay, verify, Decision, LogEntry, LogError, LogProblem, ProblemCode,
    Recorded, Replayed, Verified, GENESIS,
};
#[cfg_attr(not(feature = "signatures"), allow(unused_imports))]
pub(crate) use log::{hash_is, hex, sha256_hex};
pub use pipeline::{Frozen, Hotfix, Pipeline, Stage, Weekly};
pub use refusal::{Reason, ReasonCode, Refusal};
pub use state::{
    apply, apply_in_place, Approval, Candidate, EnvState, HotfixState, Place, Record, Release,
    Signed,
};
pub use status::{status, EnvStatus, EvidenceStatus, NextStep, ReleaseReport, Status};
