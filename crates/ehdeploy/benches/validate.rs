//! Validating a whole platform repo, against just parsing its files with `serde_yaml`.
//!
//! Generates (once, into a temporary folder removed at the end) a platform repo shaped like
//! `examples/platform/`: a `platform.yaml` with 5 environments, one Helmsman DSF per
//! environment, and for each of N apps a `values/<app>/common.yaml` shared by every
//! environment plus one `values/<app>/<env>.yaml` per environment (2 values files per app
//! and environment). The specs are clean: the check finds no error.
//!
//! Three groups, for N = 500, 1,000 and 2,000 apps per environment:
//! - `serde_yaml_parse/N`: read every file of the repo and parse it into `serde_yaml::Value`;
//! - `ehdeploy_check/N`: `ehdeploy::api::check` on the repo (everything: syntax, schema,
//!   typed model, values merging, every platform rule), on as many threads as the cores;
//! - `ehdeploy_check_cpu/N`: the same, timed by the CPU time of all threads instead of the
//!   wall clock: what it costs whatever the cores.
//!
//! These run on the system's allocator (glibc's here), as a Rust program, the Python extension
//! or the C library that links ehdeploy gets it. `validate_mimalloc` runs the same groups
//! (named with `_mimalloc`) with mimalloc as the global allocator, as the `ehdeploy` command
//! links it; both sides of the comparison use it.
//!
//! Run: `cargo bench -p ehdeploy --bench validate --bench validate_mimalloc`. Figures:
//! `docs/performance.md`.

// A benchmark fails loudly on bad setup, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/platform.rs"]
mod platform;
mod support;
#[path = "support/validate.rs"]
mod validate;

fn main() {
    validate::run("");
}
