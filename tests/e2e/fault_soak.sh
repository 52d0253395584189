#!/usr/bin/env bash
# Fault soak: ksmc against apisim under pod churn while every fault kind rotates in
# phases (dropped connections, truncated and malformed watch events, 410 storms, expired
# continue tokens, LIST bodies cut short, corrupt gzip, 429/5xx with Retry-After, stalls,
# API server restarts that reset nothing and ones that jump the resourceVersion and
# compact). After each phase the churn stops and /metrics must equal `ksmc render` of the
# simulator's ground truth exactly: 0 lost, 0 stale, 0 duplicated lines. Ingest must keep
# going during every phase (self-metrics counters increase), RSS must not grow after the
# first phase (max <= first * 1.10 + 8 MiB; not checked under ASan, whose quarantine grows
# by design), and ksmc must exit 0 on SIGTERM at the end (under ASan: no leak reports).
#
# usage: fault_soak.sh KSMC APISIM [--quick] [--long] [--duration SECONDS] [--seed N]
#                                   [--churn-seconds S] [--phases REGEX]
#   default    one cycle of all 16 phases (about 1 CPU-minute; 4-12 min wall on a loaded machine)
#   --quick    one phase per fault family instead of 16 (6 phases: truncated events, 410
#              storm, expired continue tokens, corrupt gzip, 503 + Retry-After, restart with
#              a resourceVersion jump); the same assertions. ctest's ASan+UBSan pass uses it
#              to stay short (ASan makes ksmc and the ground-truth renders ~3x slower).
#   --long     cycles until 30 minutes have passed (same as --duration 1800)
#   --duration repeat the cycle until SECONDS have passed (at least one cycle)
#   --phases   only the phases whose name matches REGEX (for debugging)
# ksmc's reconnect backoff is capped at KSMC_BACKOFF_MAX_MS (default here 2000; set it to
# the empty string for client-go's 30 s cap, under which one phase can take 2 minutes to
# converge because the backoff never gets 2 quiet minutes to reset).
set -euo pipefail
KSMC=$1
APISIM=$2
shift 2
DURATION=0
SEED=11
CHURN_S=2
ONLY=.
ASAN=0
QUICK='^(truncated-events|410-storm|expired-continue|gzip-errors|503-retry-after|restart-rv-jump)$'
export KSMC_BACKOFF_MAX_MS=${KSMC_BACKOFF_MAX_MS-2000}
while [ $# -gt 0 ]; do
  case $1 in
  --long) DURATION=1800; shift ;;
  --duration) DURATION=$2; shift 2 ;;
  --seed) SEED=$2; shift 2 ;;
  --churn-seconds) CHURN_S=$2; shift 2 ;;
  --phases) ONLY=$2; shift 2 ;;
  --quick) ONLY=$QUICK; shift ;;
  --sanitized) ASAN=1; shift ;;
  *) echo "fault_soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"

ALLOW='--metric-labels-allowlist=pods=[app,team],nodes=[*]'
# ASan's quarantine holds freed memory, so the RSS bound means nothing there. CMake passes
# --sanitized for the KSMC_SANITIZE build; for a hand-run script, the binary names the ASan
# entry point whether the runtime is linked statically (clang) or dynamically (gcc). (The
# former ldd/nm probe missed it in a fresh-clone CI: do not depend on binutils here.)
if grep -q __asan_init "$KSMC"; then
  ASAN=1
fi

# > 500 pods: ksmc lists in pages of 500, so relists use continue tokens.
start_apisim --nodes 50 --pods-per-node 12 --namespaces 6 --seed "$SEED" --continue-ttl 5
start_ksmc main "$ALLOW" --log-level=debug
wait_ready main
echo "soak: seed $SEED, churn ${CHURN_S}s per phase, duration ${DURATION}s (0: one cycle), backoff cap ${KSMC_BACKOFF_MAX_MS:-30000} ms, asan=$ASAN"

stats() { curl -sf "$SIM/_sim/stats" || fail "apisim stats"; }
faults_injected() { stats | sed 's/.*"faultsInjected":\([0-9]*\).*/\1/'; }
# Ingest progress: watch events processed plus successful LISTs (relists count: during a
# 410 storm ksmc ingests by listing).
ingest() {
  curl -sf "http://127.0.0.1:$TPORT_main/metrics" |
    awk '/^ksmc_watch_events_total\{/ || /^kube_state_metrics_list_total\{.*result="success"/ {s += $NF} END {printf "%d\n", s}'
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID_main/status"; }
drop_connections() { sim_post "restart?down_ms=0"; }
# LISTs ksmc refused because the answer was a discovery document (the not-a-list phase)
refusals() { grep -c "list failed: the answer is not a list (kind APIResourceList)" "$E2E_TMP/ksmc-main.log" || true; }
refused_before=0

# converge: stop-churn state; waits up to 150 s for /metrics to equal the ground truth
# (2 backoffs at client-go's cap), then prints "objects lines lost stale dup seconds
# scrapes failed": the comparison is of the last scrape that answered 200 (failed: how many
# did not, e.g. curl errors or HTTP errors; their output is in failed.log).
converge() {
  local t0 objects scrapes=0 failed=0 rc
  t0=$(date +%s.%N)
  : >"$E2E_TMP/failed.log"
  while [ "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {print (a - b < 150)}')" = 1 ]; do
    ground_truth "$E2E_TMP/want.prom" "$ALLOW"
    sort "$E2E_TMP/want.prom" >"$E2E_TMP/want.sorted"
    scrapes=$((scrapes + 1))
    rc=0
    curl -sSf "http://127.0.0.1:$PORT_main/metrics" >"$E2E_TMP/got.prom" 2>>"$E2E_TMP/failed.log" || rc=$?
    if [ "$rc" = 0 ]; then
      sort "$E2E_TMP/got.prom" >"$E2E_TMP/got.sorted"
      cmp -s "$E2E_TMP/want.sorted" "$E2E_TMP/got.sorted" && break
    else
      failed=$((failed + 1))
      echo "scrape $scrapes: curl exit $rc after $(wc -c <"$E2E_TMP/got.prom") bytes" >>"$E2E_TMP/failed.log"
    fi
    sleep 0.5
  done
  [ -f "$E2E_TMP/got.sorted" ] || : >"$E2E_TMP/got.sorted"
  objects=0
  for res in $RESOURCES; do objects=$((objects + $(wc -l <"$E2E_TMP/$res.ndjson"))); done
  local lost stale dup lines
  lines=$(wc -l <"$E2E_TMP/want.sorted")
  lost=$(comm -23 "$E2E_TMP/want.sorted" "$E2E_TMP/got.sorted" | wc -l)
  stale=$(comm -13 "$E2E_TMP/want.sorted" "$E2E_TMP/got.sorted" | wc -l)
  dup=$(($(wc -l <"$E2E_TMP/got.sorted") - $(uniq "$E2E_TMP/got.sorted" | wc -l) -
    ($(wc -l <"$E2E_TMP/want.sorted") - $(uniq "$E2E_TMP/want.sorted" | wc -l))))
  echo "$objects $lines $lost $stale $dup $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {printf "%.1f", a - b}') $scrapes $failed"
}

# diagnose: after a divergence, whether ksmc's stores or its scrape lost the objects: per
# resource, the objects of the ground truth against ksmc_store_objects (only where they
# differ), then ksmc's log lines about those resources (the log is at debug level).
diagnose() {
  local tel res want have differ=()
  tel=$(curl -sf "http://127.0.0.1:$TPORT_main/metrics" || true)
  echo "--- objects per resource: ground truth vs ksmc_store_objects (differences only) ---"
  for res in $RESOURCES; do
    want=$(wc -l <"$E2E_TMP/$res.ndjson")
    have=$(echo "$tel" | awk -v r="resource=\"$res\"" 'index($0, "ksmc_store_objects{") == 1 && index($0, r) {s += $NF} END {print s + 0}')
    if [ "$want" != "$have" ]; then
      echo "$res: $want in the simulator, $have in ksmc's store"
      differ+=("$res")
    fi
  done
  [ ${#differ[@]} -gt 0 ] || echo "(none: every store holds the right number of objects; the scrape lost lines)"
  for res in "${differ[@]}"; do
    echo "--- ksmc log lines about $res (last 30) ---"
    grep " $res: " "$E2E_TMP/ksmc-main.log" | tail -n 30
  done
}

# Phases: NAME ACTION, ACTION = faults:SPEC (set before the churn) or restart:ARGS (done
# in the middle of the churn) or drop (connections dropped three times during the churn).
# Faults that act on requests come with watch_close_events/watch_gone_start so ksmc makes
# requests (and relists, which need continue tokens and gzip) while they are armed.
PHASES=(
  "dropped-connections drop"
  "truncated-events faults:watch_truncate_after=3"
  "malformed-events faults:watch_malformed_after=2"
  "410-storm faults:watch_gone_start=6&watch_gone_after=4"
  "expired-continue faults:expire_continue=3&watch_close_events=3&watch_gone_start=2"
  "cut-list-bodies faults:list_cut=2&watch_close_events=3&watch_gone_start=2"
  "gzip-errors faults:gzip_corrupt=2&watch_close_events=3&watch_gone_start=2"
  "not-a-list faults:list_not_a_list=-1&watch_close_events=3&watch_gone_start=3"
  "429-retry-after faults:error_code=429&error_count=4&retry_after=1&watch_close_events=3"
  "500-retry-after faults:error_code=500&error_count=3&retry_after=1&watch_close_events=3"
  "503-retry-after faults:error_code=503&error_count=3&retry_after=1&watch_close_events=3"
  "504-retry-after faults:error_code=504&error_count=3&retry_after=1&watch_close_events=3"
  "stalls faults:stall_ms=1500&stall_count=3&watch_close_events=3"
  "watch-close-timer faults:watch_close_seconds=1"
  "restart restart:down_ms=1500"
  "restart-rv-jump restart:down_ms=500&rv_jump=1000000&compact=1"
)

t_start=$(date +%s)
cycle=0
phase_no=0
total_faults=0
total_objects=0
total_lines=0
rss_series=()
rss_first=
while :; do
  cycle=$((cycle + 1))
  for ph in "${PHASES[@]}"; do
    name=${ph%% *}
    action=${ph#* }
    [[ $name =~ $ONLY ]] || continue
    phase_no=$((phase_no + 1))
    f0=$(faults_injected)
    i0=$(ingest)
    case $action in
    faults:*) sim_post "faults?${action#faults:}" ;;
    esac
    # cut the streams opened before the phase so its faults apply to fresh watches
    drop_connections
    sim_post "churn?rate=150"
    case $action in
    drop)
      for _ in 1 2 3; do
        sleep "$(awk -v s="$CHURN_S" 'BEGIN {print s / 3}')"
        drop_connections
      done
      ;;
    restart:*)
      sleep "$(awk -v s="$CHURN_S" 'BEGIN {print s / 2}')"
      sim_post "restart?${action#restart:}"
      sleep "$(awk -v s="$CHURN_S" 'BEGIN {print s / 2}')"
      ;;
    *) sleep "$CHURN_S" ;;
    esac
    # not-a-list: the relists forced by watch_gone_start may come after the churn (watch
    # backoff, then list backoff); keep the fault armed until ksmc has met it (up to 20 s)
    if [ "$name" = not-a-list ]; then
      for _ in $(seq 80); do
        [ "$(refusals)" -gt "$refused_before" ] && break
        sleep 0.25
      done
    fi
    sim_post "faults?reset=1"
    # Ingest kept going: give ksmc up to 5 s after the churn burst (backoff, Retry-After).
    i1=$i0
    for _ in $(seq 20); do
      i1=$(ingest)
      [ "$i1" -gt "$i0" ] && break
      sleep 0.25
    done
    sim_post "churn?rate=0"
    [ "$i1" -gt "$i0" ] || fail "phase $name: ingest stopped (counter stayed at $i0)"
    read -r objects lines lost stale dup secs scrapes failed < <(converge)
    f1=$(faults_injected)
    nf=$((f1 - f0))
    i2=$(ingest)
    rss=$(rss_kib)
    rss_series+=("$rss")
    [ -n "$rss_first" ] || rss_first=$rss
    printf 'phase %2d (cycle %d) %-20s faults %3d, %4d objects / %6d lines compared: %d lost, %d stale, %d duplicated; ingest +%d; converged in %.1fs; RSS %d KiB\n' \
      "$phase_no" "$cycle" "$name" "$nf" "$objects" "$lines" "$lost" "$stale" "$dup" $((i2 - i0)) "$secs" "$rss"
    if [ "$lost" != 0 ] || [ "$stale" != 0 ] || [ "$dup" != 0 ]; then
      echo "$scrapes scrapes in $secs s, $failed of them failed (the comparison is of the last that answered 200)" >&2
      tail -n 5 "$E2E_TMP/failed.log" >&2
      echo "--- lost and stale lines per metric family ---" >&2
      comm -3 "$E2E_TMP/want.sorted" "$E2E_TMP/got.sorted" |
        awk -F'\t' '{ m = $NF; sub(/[{ ].*/, "", m); k = (NF == 1 ? "lost " : "stale ") m; c[k]++ } END { for (k in c) print c[k], k }' |
        sort -k2,2 -k3,3 >&2
      # (diff exits 1 on differences: under pipefail that would end the script here)
      { diff "$E2E_TMP/want.sorted" "$E2E_TMP/got.sorted" || true; } | head -20 >&2
      diagnose >&2
      fail "phase $name: /metrics differs from the ground truth"
    fi
    [ "$nf" -gt 0 ] || fail "phase $name: no fault was injected"
    # every LIST answered with a discovery document while armed: ksmc must have refused
    # them (and kept its objects: checked above), not only been lucky with its timing
    if [ "$name" = not-a-list ]; then
      [ "$(refusals)" -gt "$refused_before" ] || fail "phase $name: no LIST was answered with a non-list"
      refused_before=$(refusals)
    fi
    total_faults=$((total_faults + nf))
    total_objects=$((total_objects + objects))
    total_lines=$((total_lines + lines))
  done
  [ $(($(date +%s) - t_start)) -lt "$DURATION" ] || break
done

echo "RSS series (KiB, after each phase): ${rss_series[*]}"
limit=$((rss_first * 110 / 100 + 8192))
max=$(printf '%s\n' "${rss_series[@]}" | sort -n | tail -1)
if [ "$ASAN" = 1 ]; then
  echo "RSS bound not checked under ASan (its quarantine holds freed memory); max $max KiB"
elif [ "$max" -gt "$limit" ]; then
  fail "RSS grew: max $max KiB > first phase $rss_first KiB * 1.10 + 8 MiB = $limit KiB"
else
  echo "ok: RSS max $max KiB <= $limit KiB (first phase $rss_first KiB * 1.10 + 8 MiB)"
fi

# A clean exit: SIGTERM, exit status 0 (under ASan, LeakSanitizer would make it non-zero).
kill -TERM "$PID_main"
rc=0
wait "$PID_main" || rc=$?
if [ "$rc" != 0 ]; then
  tail -30 "$E2E_TMP/ksmc-main.log" >&2
  fail "ksmc exited with $rc after SIGTERM"
fi
grep -q 'LeakSanitizer\|AddressSanitizer' "$E2E_TMP/ksmc-main.log" && fail "sanitizer report in the ksmc log"
elapsed=$(($(date +%s) - t_start))
echo "soak: $cycle cycle(s), $phase_no phases in ${elapsed}s: $total_faults faults injected, $total_objects objects ($total_lines lines) compared, 0 lost, 0 stale, 0 duplicated; ksmc exited 0"
echo "1 passed, 0 failed"
