#!/usr/bin/env bash
# The Jenkins library's tests, in one JVM: test/RunTests.groovy from the repo root.
#
#   bindings/jenkins/run-tests.sh
#   bindings/jenkins/run-tests.sh --parity QUESTIONS_JSON OUT_DIR   # test/parity.groovy instead
#
# EHDEPLOY_LIB_DIR: the directory of libehdeploy.so (default: target/fault/debug, the
#                   fault-injection build that has debug_panic)
# EHDEPLOY_CLI:     the ehdeploy CLI (default: target/debug/ehdeploy)
# JAVA_HOME:        a JDK for groovy (default: the first /usr/lib/jvm/java-17-openjdk* found)
# JNA_JAR:          the JNA jar (default: /usr/share/java/jna.jar)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

lib_dir="${EHDEPLOY_LIB_DIR:-$root/target/fault/debug}"
export EHDEPLOY_CLI="${EHDEPLOY_CLI:-$root/target/debug/ehdeploy}"
jna_jar="${JNA_JAR:-/usr/share/java/jna.jar}"

if [[ -z "${JAVA_HOME:-}" ]]; then
    for dir in /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/java-1.17.0-openjdk* /usr/lib/jvm/*; do
        if [[ -x "$dir/bin/java" ]]; then
            JAVA_HOME="$dir"
            break
        fi
    done
fi
export JAVA_HOME="${JAVA_HOME:?no JDK found under /usr/lib/jvm: set JAVA_HOME}"

missing=0
for file in "$lib_dir/libehdeploy.so" "$EHDEPLOY_CLI" "$jna_jar"; do
    if [[ ! -e "$file" ]]; then
        echo "run-tests.sh: missing $file (build it first, or set EHDEPLOY_LIB_DIR / EHDEPLOY_CLI / JNA_JAR)" >&2
        missing=1
    fi
done
(( missing == 0 )) || exit 1

classpath="$here/src:$here/test:$here/test/stubs:$jna_jar"
cd "$root"
script="$here/test/RunTests.groovy"
if [[ "${1:-}" == "--parity" ]]; then
    shift
    script="$here/test/parity.groovy"
fi
exec groovy -cp "$classpath" -Djna.library.path="$lib_dir" "$script" "$@"
