#!/usr/bin/env bash
# Every test of ehdeploy, on a fresh machine: formatting, lints, the Rust unit, integration,
# golden and end-to-end (CLI) tests, and the benchmarks compiled (not run).
# Later capabilities add their languages and services here (Python venv, C, Groovy, registry…),
# each installed by this script and started/stopped on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required (rustup: https://rustup.rs)" >&2
  exit 2
fi
# The shared fixtures (real Helmsman files, sigstore conformance cases) live beside the repo.
if [ ! -d ../shared/fixtures/helmsman ]; then
  echo "../shared/fixtures/helmsman is missing: the tests read the shared fixtures from there" >&2
  exit 2
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --all-targets --locked
echo "== doc tests"
cargo test --workspace --doc --locked
echo "== main job on the example platform"
cargo run --quiet --locked -p ehdeploy-cli -- check examples/platform --color never
