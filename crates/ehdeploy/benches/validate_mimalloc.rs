//! The `validate` benchmark (see `benches/validate.rs`) with mimalloc as the global allocator,
//! as the `ehdeploy` command links it: `serde_yaml_parse_mimalloc`, `ehdeploy_check_mimalloc`
//! and `ehdeploy_check_cpu_mimalloc`, for N = 500, 1,000 and 2,000 apps per environment.
//! Both sides of the comparison allocate with mimalloc.
//!
//! Run: `cargo bench -p ehdeploy --bench validate_mimalloc`. Figures: `docs/performance.md`.

// A benchmark fails loudly on bad setup, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/platform.rs"]
mod platform;
mod support;
#[path = "support/validate.rs"]
mod validate;

fn main() {
    validate::run("_mimalloc");
}
