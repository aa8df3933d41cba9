//! Roll-out decisions: each app's roll-out health from the objects `kubectl get
//! deploy,rs,pods -o json` gives, with the next step the platform's rules give.
//! (Rollback planning from git and canary analysis on Prometheus come next: issue 7.)

mod health;
mod objects;

pub use health::{
    health, AppRollout, NextAction, PodProblem, Replicas, RolloutReport, RolloutState, Wanted,
};
pub use objects::{Objects, ObjectsError};
