#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (KSMC_FUZZ=ON) in their own build directory,
# replays every regression input (tests/fuzz/regressions/<target>/) and the seed corpus
# (tests/fuzz/corpus/<target>/), then fuzzes each target for a bounded time.
#
#   tests/fuzz/run.sh [--seconds N] [--runs N] [--jobs N] [--timeout S] [--build-dir DIR]
#                     [--sanitizers LIST] [--max-len N] [target...]
#
#   --seconds N   fuzz each target for N seconds (default 10); 0 only replays
#   --runs N      stop each target after N executions instead (e.g. 10000000)
#   --jobs N      libFuzzer worker processes per target (default 1)
#   --timeout S   libFuzzer's per-input limit in seconds (default 25; raise it on a loaded
#                 machine, where one input can wait seconds for a core)
#   --build-dir   clang build directory (default <repo>/build-fuzz)
#   --sanitizers  -fsanitize= list of that build (default address,undefined; `undefined`
#                 alone is ~2x faster for long runs: replay the corpus under ASan after)
#   --max-len N   libFuzzer's -max_len (default: the largest seed, at least 4096); longer
#                 corpus inputs are cut to N, which speeds up targets with big seeds
#
# New inputs found while fuzzing go to <build-dir>/fuzz-work/<target>/ (never into the
# committed corpus); a crash leaves <build-dir>/fuzz-artifacts/<target>/crash-* and makes
# the script fail. Copy such a file to tests/fuzz/regressions/<target>/ (with a name that
# says what it exercises) once the bug is fixed. Exit status: 0 all clean, 1 a finding or
# a build failure or a missing clang/libFuzzer runtime (the setup script installs them).
set -euo pipefail
# The whole script is one brace group: bash reads it completely before running it, so
# editing run.sh (a git checkout, a rebase) during an hours-long run cannot break it.
{

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=10
runs=
jobs=1
timeout=25
build=$repo/build-fuzz
sanitizers=address,undefined
max_len=()
targets=()
while [ $# -gt 0 ]; do
  case $1 in
  --seconds) seconds=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  --jobs) jobs=$2; shift 2 ;;
  --timeout) timeout=$2; shift 2 ;;
  --build-dir) build=$2; shift 2 ;;
  --sanitizers) sanitizers=$2; shift 2 ;;
  --max-len) max_len=(-max_len="$2"); shift 2 ;;
  -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_spec fuzz_render fuzz_watch fuzz_gunzip fuzz_list fuzz_kubeconfig fuzz_http fuzz_allowlist
    fuzz_quantity fuzz_time fuzz_input fuzz_webcfg fuzz_cron)
fi

if ! command -v clang >/dev/null; then
  echo "run.sh: clang not found (scripts/setup-debian.sh installs clang libclang-rt-14-dev)" >&2
  exit 1
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
  clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "run.sh: clang has no libFuzzer runtime (scripts/setup-debian.sh installs libclang-rt-14-dev)" >&2
  exit 1
fi

# Configured on the first run, and again when --sanitizers differs from the cached list.
if [ ! -f "$build/CMakeCache.txt" ] ||
  ! grep -qx "KSMC_FUZZ_SANITIZERS:STRING=$sanitizers" "$build/CMakeCache.txt"; then
  mkdir -p "$build"
  cmake -S "$repo" -B "$build" -DCMAKE_C_COMPILER=clang -DKSMC_FUZZ=ON \
    -DKSMC_FUZZ_SANITIZERS="$sanitizers" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/fuzz-configure.log" 2>&1 ||
    { cat "$build/fuzz-configure.log" >&2; exit 1; }
fi
build_targets=("${targets[@]}")
[ ${#targets[@]} -ge 12 ] && build_targets=(fuzz_all)
cmake --build "$build" --target "${build_targets[@]}" -j "$(nproc)" >"$build/fuzz-build.log" 2>&1 ||
  { tail -50 "$build/fuzz-build.log" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  work=$build/fuzz-work/$t
  art=$build/fuzz-artifacts/$t
  log=$build/fuzz-logs/$t.log
  mkdir -p "$work" "$art" "$(dirname "$log")"
  # 1. Regressions and seeds, each input once.
  inputs=()
  for d in "$here/regressions/$t" "$here/corpus/$t"; do
    [ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f -print0 | sort -z)
  done
  if [ ${#inputs[@]} -gt 0 ]; then
    if ! "$bin" -timeout="$timeout" -rss_limit_mb=4096 "${inputs[@]}" >"$log.replay" 2>&1; then
      echo "FAIL $t: a regression or seed input fails (see $log.replay)" >&2
      tail -40 "$log.replay" >&2
      status=1
      summary+=("$t: REPLAY FAILED")
      continue
    fi
  fi
  # 2. Bounded fuzzing.
  if [ -z "$runs" ] && [ "$seconds" = 0 ]; then
    summary+=("$t: ${#inputs[@]} inputs replayed")
    continue
  fi
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  dirs=("$work")
  [ -d "$here/corpus/$t" ] && dirs+=("$here/corpus/$t")
  par=()
  [ "$jobs" -gt 1 ] && par=(-fork="$jobs")
  if "$bin" "${limit[@]}" "${par[@]}" ${max_len[@]+"${max_len[@]}"} -timeout="$timeout" -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$art/" "${dirs[@]}" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    [ "$execs" = 0 ] && execs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    summary+=("$t: ${#inputs[@]} inputs replayed, ${execs:-?} executions, coverage ${cov:-?} edges")
  else
    echo "FAIL $t: libFuzzer found a problem (log $log, inputs in $art/)" >&2
    grep -m1 -B2 -A40 'ERROR\|fuzz check failed\|runtime error' "$log" >&2 || tail -40 "$log" >&2
    status=1
    summary+=("$t: FINDING (see $art/)")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
}
