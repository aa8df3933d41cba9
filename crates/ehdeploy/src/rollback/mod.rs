//! Rolling an environment back from its spec's git history (feature `git`).
//!
//! The environments' desired-state files live in a git repository. When a release is bad,
//! the person who started it commits a new spec that takes the app (or the whole
//! environment) back to what ran before, never rewriting history. Here:
//!
//! 1. the branch's first-parent history is read, newest first, and at each revision the
//!    environment's releases (each app's chart, version, image, tag and digest) are loaded
//!    from the files as they were;
//! 2. the target is the newest earlier revision where the app (or any app of the environment)
//!    runs something else than now and that is **healthy by record**: every release it goes
//!    back to was deployed into that environment by a candidate whose audit log
//!    (`promotions/*.jsonl`) records it `deployed-healthy`, and neither rolled back nor failed
//!    its canary there. `--to REV` names the target instead, which must be in the branch's
//!    history;
//! 3. the plan back to it is the promotion of those releases from the target revision into
//!    the current files (the same edits as `promote-spec`: only what changes, formatting
//!    kept), and every commit in between that changed another app is named, so that a person
//!    can decide;
//! 4. with `write`, the edits go into the work tree and a new commit on the current branch,
//!    whose parent is HEAD. Files with uncommitted changes are refused.

mod choose;
mod history;

pub use choose::{
    between, choose, chosen, differing, Between, Choice, HealthyRecord, Released, Scope, Snapshot,
};
pub use history::{Revision, SpecRepo};

/// What stops a rollback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollbackError {
    /// The folder is not in a git work tree.
    #[error("{path} is not in a git work tree: {why}")]
    NotARepository {
        /// The folder given.
        path: String,
        /// What git said.
        why: String,
    },
    /// HEAD is detached: a rollback commit goes on a branch.
    #[error("HEAD is detached: check out the branch the rollback goes on")]
    DetachedHead,
    /// The revision does not name a commit.
    #[error("`{rev}` does not name a commit: {why}")]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// What git said.
        why: String,
    },
    /// The revision is not HEAD or one of its ancestors.
    #[error("`{rev}` is not in the history of `{branch}`: a rollback goes back to a revision the branch ran")]
    NotInHistory {
        /// The revision as given.
        rev: String,
        /// The current branch.
        branch: String,
    },
    /// No committer identity to make the commit with.
    #[error("no git identity to commit with: set user.name and user.email")]
    NoIdentity,
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, String),
    /// Any other git error.
    #[error("git: {0}")]
    Git(String),
}
