#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, builds
# twice (release and ASan+UBSan), runs every test in both, checks generated/ is what the
# specs produce and the code is clang-formatted. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup-debian.sh

echo "== build (release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== generated/ is fresh"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$root" diff --exit-code --stat -- generated/ ||
    { echo "generated/ differs from what specs/ produce: run the build and commit generated/" >&2; exit 1; }
  # docs/metrics/ and the ClusterRole too, new pages included (ctest metrics_docs_are_fresh as well)
  stale=$(git -C "$root" status --porcelain -- docs/metrics/ deploy/rbac/)
  [ -z "$stale" ] ||
    { echo "$stale" >&2; echo "docs/metrics/ or deploy/rbac/ differ from specs/: run the build and commit them" >&2; exit 1; }
fi

echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DKSMC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -LE nosan

echo "== clang-format"
scripts/check-format.sh
echo "all tests passed"
