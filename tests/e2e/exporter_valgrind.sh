#!/usr/bin/env bash
# The exporter under valgrind: sync, gzip scrapes (every block compressed, then some
# reused), churn, a fault and a clean SIGTERM shutdown with no memory error and no leak
# (valgrind's exit code and its leak summary).
# usage: exporter_valgrind.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || fail "valgrind not installed (scripts/setup-debian.sh installs it)"

start_apisim --nodes 5 --pods-per-node 8 --namespaces 2 --seed 3
KSMC_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file=$E2E_TMP/valgrind.log" \
  start_ksmc vg --enable-gzip-encoding
wait_ready vg
metrics_equal vg
# gunzip_equal: a gzip scrape inflates to the plain body scraped right after it (nothing
# churns in between)
gunzip_equal() {
  curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT_vg/metrics" >"$E2E_TMP/m.gz" ||
    fail "gzip scrape"
  curl -sf "http://127.0.0.1:$PORT_vg/metrics" >"$E2E_TMP/m.txt" || fail "plain scrape"
  gunzip -c "$E2E_TMP/m.gz" | cmp -s - "$E2E_TMP/m.txt" || fail "the gzip body does not inflate to the plain one"
}
gunzip_equal
sim_post "churn?rate=50"
sleep 1
sim_post "faults?watch_gone_after=2"
sleep 1
sim_post "faults?reset=1"
sim_post "churn?rate=0"
metrics_equal vg
gunzip_equal
kill -TERM "$PID_vg"
status=0
wait "$PID_vg" || status=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$E2E_TMP/valgrind.log" || true
[ "$status" = 0 ] || { tail -40 "$E2E_TMP/valgrind.log" >&2; fail "ksmc under valgrind exited $status"; }
grep -q "ERROR SUMMARY: 0 errors" "$E2E_TMP/valgrind.log" || fail "valgrind reported errors"
echo "ok: no memory errors, no leaks, clean shutdown"
echo "1 passed, 0 failed"
