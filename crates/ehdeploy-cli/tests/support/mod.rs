//! What the CLI's end-to-end tests share: the repository's root, the `ehdeploy` binary run
//! from it, and [`example`]: the example platform and copies of folder trees (the library's
//! `tests/support/example.rs`).
//!
//! Include it with `mod support;`; each test binary uses only some of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

#[path = "../../../ehdeploy/tests/support/example.rs"]
pub mod example;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `ehdeploy` binary with `args`, run in the repository's root: a command to add to
/// (environment) before running it.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ehdeploy"));
    command.args(args).current_dir(repo());
    command
}

/// What `ehdeploy args…` does, run in the repository's root with the tests' environment.
pub fn ehdeploy(args: &[&str]) -> Output {
    command(args).output().unwrap()
}
