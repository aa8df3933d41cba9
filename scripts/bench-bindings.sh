#!/usr/bin/env bash
# The bindings' overhead benchmark: builds the release C library and bench program and the
# release Python wheel (in target/venv-bench), then runs `cargo bench --bench bindings`, which
# times Rust, C and Python on the same generated platform and prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p ehdeploy-capi
mkdir -p target/c-bench
cc -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Ibindings/c/include \
  -o target/c-bench/bench_bindings bindings/c/bench/bench_bindings.c \
  -Ltarget/release -lehdeploy -Wl,-rpath,"$PWD/target/release"

if [ ! -x target/venv-bench/bin/python ]; then
  python3 -m venv target/venv-bench
  target/venv-bench/bin/pip install -q --disable-pip-version-check "maturin>=1.7,<2"
fi
rm -rf target/wheels-release
(cd bindings/python && ../../target/venv-bench/bin/maturin build --quiet --release --out ../../target/wheels-release)
target/venv-bench/bin/pip install -q --disable-pip-version-check --force-reinstall target/wheels-release/ehdeploy-*.whl

cargo bench --locked -p ehdeploy --bench bindings -- "$@"
