#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, builds
# twice (release and ASan+UBSan), runs every test in both, checks generated/ is what the
# specs produce and the code is clang-formatted. .ci/run runs exactly this.
# Each phase prints its wall time and the CPU time of what it ran; the table at the end is
# what docs/ci.md ("Time budget") records.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

phases=()
t_begin=$SECONDS
# cpu_seconds: user+sys CPU of every child this shell has waited for so far. Call it as
# `cpu_seconds; cpu=$cpu_now`, not in $(...): `times` in a subshell sees only the subshell.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_seconds() {
  times >"$times_file"
  cpu_now=$(awk 'NR == 2 {
    s = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
    printf "%.0f\n", s
  }' "$times_file")
}
# phase NAME: starts a phase (and ends the previous one).
phase_name=
phase() {
  local now cpu
  now=$SECONDS
  cpu_seconds
  cpu=$cpu_now
  if [ -n "$phase_name" ]; then
    phases+=("$(printf '%-24s %5d s wall %6d s CPU' "$phase_name" $((now - phase_t0)) $((cpu - phase_cpu0)))")
    echo "   ($phase_name: $((now - phase_t0)) s wall, $((cpu - phase_cpu0)) s CPU)"
  fi
  phase_name=$1
  phase_t0=$now
  phase_cpu0=$cpu
  [ "$1" = end ] || echo "== $1"
}
# configure DIR ARGS...: Ninja when the directory is new (a third less build CPU than
# make's recursive makefiles); an existing directory keeps its generator.
configure() {
  local dir=$1
  shift
  local gen=()
  [ -f "$dir/CMakeCache.txt" ] || ! command -v ninja >/dev/null || gen=(-G Ninja)
  cmake -S . -B "$dir" "${gen[@]}" "$@" >/dev/null
}
# seed_costs DIR: a fresh build directory has no ctest timing history, so ctest would
# start the tests in declaration order and the longest (fuzz, fault_soak) last, alone.
# tests/ctest-costs.txt gives their usual durations; ctest replaces them with its own
# measurements after the first run.
seed_costs() {
  local dir=$1/Testing/Temporary
  [ -s "$dir/CTestCostData.txt" ] && return 0
  mkdir -p "$dir"
  awk '!/^#/ && NF == 2 {print $1, 1, $2}' tests/ctest-costs.txt >"$dir/CTestCostData.txt"
}

# check_fresh: the build rewrote generated/, docs/metrics/ and deploy/rbac/ in the source
# tree; they must be the committed bytes. Run after each build: the sanitizer build's
# ksmc-gen rewrites them too (which is why its ctest pass skips generated_is_fresh and
# metrics_docs_are_fresh, labelled nosan).
check_fresh() {
  git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || return 0
  git -C "$root" diff --exit-code --stat -- generated/ ||
    { echo "generated/ differs from what specs/ produce: run the build and commit generated/" >&2; exit 1; }
  # docs/metrics/ and the ClusterRole too, new pages included (ctest metrics_docs_are_fresh as well)
  local stale
  stale=$(git -C "$root" status --porcelain -- generated/ docs/metrics/ deploy/rbac/)
  [ -z "$stale" ] ||
    { echo "$stale" >&2; echo "generated/, docs/metrics/ or deploy/rbac/ differ from specs/: run the build and commit them" >&2; exit 1; }
}

phase "setup"
scripts/setup-debian.sh

phase "build (release)"
configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

phase "generated/ is fresh"
check_fresh
phase "tests (release)"
seed_costs build
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

phase "build (ASan+UBSan)"
configure build-asan -DKSMC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j"$jobs"
check_fresh
phase "tests (ASan+UBSan)"
seed_costs build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -LE nosan

phase "clang-format"
scripts/check-format.sh
phase end
echo "== time per phase"
printf '   %s\n' "${phases[@]}"
cpu_seconds
printf '   %-24s %5d s wall %6d s CPU\n' total $((SECONDS - t_begin)) "$cpu_now"
echo "all tests passed"
