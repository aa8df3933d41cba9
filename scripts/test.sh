#!/usr/bin/env bash
# Every test of ehdeploy, on a fresh machine: formatting, lints, the Rust unit, integration,
# golden and end-to-end (CLI) tests, the benchmarks compiled (not run), then the bindings: the
# C ABI's tests under valgrind, the Python wheel in a fresh venv (pytest, mypy --strict), the
# Jenkins library with Groovy and JNA, and the same questions asked through all five ways.
# What it needs from Debian (valgrind, pkg-config, groovy, libjna-java, prometheus,
# docker-registry, apache2-utils, openssl) it installs, before the cargo tests, which run a real
# Prometheus and a real OCI registry.
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

echo "== system packages for the tests"
missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v groovy >/dev/null 2>&1 || missing+=(groovy)
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
# The canary analysis's Prometheus client is tested against a real Prometheus.
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
# Image signatures are verified from a real OCI registry (distribution 2.8), whose basic auth
# takes bcrypt htpasswd lines only (htpasswd -B, apache2-utils); the signatures are made by openssl.
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
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

# The bindings' tests use a build with the `fault-injection` feature (an operation that
# panics, to show that no panic crosses a binding), in its own target folder.
echo "== C ABI: tests under valgrind (8 threads included)"
make -s -C bindings/c test example

echo "== Python: the wheel in a fresh venv; pytest; mypy --strict"
rm -rf target/venv
python3 -m venv target/venv
target/venv/bin/pip install -q --disable-pip-version-check "maturin>=1.7,<2" pytest mypy
rm -rf target/wheels
(cd bindings/python && ../../target/venv/bin/maturin build --quiet --features fault-injection \
  --target-dir ../../target/fault --out ../../target/wheels)
target/venv/bin/pip install -q --disable-pip-version-check target/wheels/ehdeploy-*.whl
target/venv/bin/python -m pytest -q bindings/python/tests
target/venv/bin/mypy --strict bindings/python/examples/pipeline.py
(cd bindings/python && ../../target/venv/bin/mypy --strict python/ehdeploy)

echo "== Jenkins shared library: Groovy with JNA"
bindings/jenkins/run-tests.sh

echo "== parity: the same questions through Rust, the CLI, Python, C and Groovy"
target/venv/bin/python bindings/parity.py
