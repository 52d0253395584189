#!/usr/bin/env bash
# End to end: ksmc against the API simulator. After the initial sync, after churn, and
# after each injected fault, /metrics must equal `ksmc render` of exactly the objects the
# simulator holds (nothing lost, nothing stale, nothing duplicated). Three shards must
# union to the unsharded output. promtool must accept the output. The gzip body (built
# from cached per-segment blocks) must inflate to the plain body after sync and churn.
# usage: exporter_sim.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"

start_apisim --nodes 20 --pods-per-node 12 --namespaces 4 --seed 7 --continue-ttl 2
start_ksmc main --metric-labels-allowlist='pods=[app,team],nodes=[*]' --log-level debug \
  --enable-gzip-encoding
wait_ready main
# /readyz means stored: the very first scrape after it (no retry) has every pod and node
# (list items are rendered on the relay's thread; readiness waits for it to catch up)
first=$(curl -sf "http://127.0.0.1:$PORT_main/metrics") || fail "scrape after /readyz"
[ "$(grep -c '^kube_pod_info{' <<<"$first")" = 240 ] || fail "first scrape after /readyz lacks pods"
[ "$(grep -c '^kube_node_info{' <<<"$first")" = 20 ] || fail "first scrape after /readyz lacks nodes"
echo "ok: the first scrape after /readyz holds all 240 pods and 20 nodes"
metrics_equal main --metric-labels-allowlist='pods=[app,team],nodes=[*]'
echo "ok: initial sync equals ground truth"

gzip_equal() { # gzip_equal WHEN: one gzip member that python and curl inflate to the plain body
  local u="http://127.0.0.1:$PORT_main/metrics"
  curl -sf "$u" >"$E2E_TMP/plain.txt"
  curl -sf -H 'Accept-Encoding: gzip' -D "$E2E_TMP/gz.headers" "$u" >"$E2E_TMP/body.gz"
  grep -qi '^content-encoding: gzip' "$E2E_TMP/gz.headers" || fail "$1: no gzip response"
  python3 - "$E2E_TMP/body.gz" "$E2E_TMP/plain.txt" <<'PYEOF' || fail "$1: gzip body wrong"
import gzip, sys, zlib
z = open(sys.argv[1], "rb").read()
d = zlib.decompressobj(16 + zlib.MAX_WBITS)
out = d.decompress(z)
assert d.eof and not d.unused_data, "not exactly one gzip member"
assert out == open(sys.argv[2], "rb").read(), "gzip body differs from the plain body"
assert gzip.decompress(z) == out
PYEOF
  curl -sf --compressed "$u" | cmp -s - "$E2E_TMP/plain.txt" || fail "$1: curl --compressed differs"
  echo "ok: $1: the gzip body inflates to the plain body"
}
gzip_equal "after sync"

churn() { # churn for $1 seconds at 200 events/s, then stop
  sim_post "churn?rate=200"
  sleep "$1"
  sim_post "churn?rate=0"
}

churn 2
metrics_equal main --metric-labels-allowlist='pods=[app,team],nodes=[*]'
echo "ok: churn then quiesce"
gzip_equal "after churn (cached blocks of unchanged segments reused)"

for fault in "watch_close_events=5" "watch_gone_after=3" "watch_gone_start=2" \
  "watch_malformed_after=2" "watch_truncate_after=2" \
  "error_code=503&error_count=3&retry_after=1" "error_code=429&error_count=2&retry_after=1" \
  "stall_ms=1500&stall_count=2"; do
  sim_post "faults?$fault"
  churn 1
  sim_post "faults?reset=1"
  # Force a fresh watch (and so the fault's recovery path) with one more small burst.
  churn 0.3
  metrics_equal main --metric-labels-allowlist='pods=[app,team],nodes=[*]'
  echo "ok: recovered from $fault"
done

# Expired continue tokens during a relist: make every watch fail with 410 so the
# exporter relists, and expire the pagination tokens (ttl 2 s, forced expiry too).
sim_post "faults?expire_continue=2&watch_gone_start=1"
churn 0.5
sim_post "faults?reset=1"
churn 0.3
metrics_equal main --metric-labels-allowlist='pods=[app,team],nodes=[*]'
echo "ok: expired continue tokens"
gzip_equal "after faults and relists"

# promtool lints the text format (it parses 0.0.4 only).
if command -v promtool >/dev/null; then
  curl -sf "http://127.0.0.1:$PORT_main/metrics" | promtool check metrics >"$E2E_TMP/promtool.out" 2>&1 ||
    { grep -v 'no help text' "$E2E_TMP/promtool.out" | head >&2; fail "promtool check metrics"; }
  echo "ok: promtool check metrics"
else
  fail "promtool not installed (scripts/setup-debian.sh installs prometheus)"
fi

# OpenMetrics when asked for it, checked strictly (types, metadata order, # EOF).
curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
  -D "$E2E_TMP/om.headers" "http://127.0.0.1:$PORT_main/metrics" >"$E2E_TMP/om.txt"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$E2E_TMP/om.headers" ||
  fail "no OpenMetrics content type"
python3 "$(dirname "$0")/check_openmetrics.py" <"$E2E_TMP/om.txt" || fail "OpenMetrics output rejected"
echo "ok: OpenMetrics output passes the strict checker"

# Sharding: three shards together hold every object exactly once.
for i in 0 1 2; do start_ksmc "s$i" --shard "$i" --total-shards 3; done
for i in 0 1 2; do wait_ready "s$i"; done
curl -sf "http://127.0.0.1:$PORT_main/metrics" >/dev/null
start_ksmc plain
wait_ready plain
metrics_equal plain
sleep 1
for i in 0 1 2; do
  port_var="PORT_s$i"
  curl -sf "http://127.0.0.1:${!port_var}/metrics" | grep -v '^#' >"$E2E_TMP/shard$i.prom"
done
curl -sf "http://127.0.0.1:$PORT_plain/metrics" | grep -v '^#' | sort >"$E2E_TMP/plain.prom"
sort "$E2E_TMP"/shard*.prom >"$E2E_TMP/union.prom"
cmp -s "$E2E_TMP/union.prom" "$E2E_TMP/plain.prom" || fail "shards do not union to the unsharded output"
[ "$(sort -u "$E2E_TMP/union.prom" | wc -l)" = "$(wc -l <"$E2E_TMP/union.prom")" ] || fail "duplicate series across shards"
for i in 0 1 2; do [ -s "$E2E_TMP/shard$i.prom" ] || fail "shard $i is empty"; done
echo "ok: 3 shards union to the unsharded output, no duplicates"
echo "1 passed, 0 failed"
