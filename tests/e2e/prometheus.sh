#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes ksmc, which exports the API simulator. Queries
# through Prometheus' HTTP API must return what the simulator's objects say: pods by
# phase, ready nodes, container restarts. Proves the exposition is ingested by the real
# consumer, not only by our own parsers. ksmc runs with --enable-gzip-encoding, so
# Prometheus (which asks for gzip) also decodes ksmc's gzip bodies (ISA-L pieces joined
# into one member) with Go's reader; the plain bytes are the same ones inflated.
# usage: prometheus.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/setup-debian.sh installs it)"

start_apisim --nodes 8 --pods-per-node 10 --namespaces 3 --seed 11
start_ksmc main --enable-gzip-encoding
wait_ready main

ppport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$E2E_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ksmc
    static_configs:
      - targets: ['127.0.0.1:$PORT_main']
EOF
prometheus --config.file="$E2E_TMP/prometheus.yml" --storage.tsdb.path="$E2E_TMP/tsdb" \
  --web.listen-address="127.0.0.1:$ppport" >"$E2E_TMP/prometheus.log" 2>&1 &
E2E_PIDS+=($!)

# query EXPR -> prints the scalar result of an instant query ("" when no data yet)
query() {
  curl -sf --get "http://127.0.0.1:$ppport/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

curl -sf "$SIM/_sim/objects?resource=pods" >"$E2E_TMP/pods.ndjson"
curl -sf "$SIM/_sim/objects?resource=nodes" >"$E2E_TMP/nodes.ndjson"
want_pods=$(wc -l <"$E2E_TMP/pods.ndjson")

for _ in $(seq 60); do
  [ "$(query 'count(kube_pod_info)' 2>/dev/null || true)" = "$want_pods" ] && break
  sleep 0.5
done
got=$(query 'count(kube_pod_info)')
[ "$got" = "$want_pods" ] || { tail -5 "$E2E_TMP/prometheus.log" >&2; fail "count(kube_pod_info)=$got, want $want_pods"; }
echo "ok: Prometheus sees $got pods"

expect() { # expect PROMQL PYTHON-EXPRESSION-OVER-pods/nodes
  local want got
  want=$(python3 - "$E2E_TMP" "$2" <<'PY'
import json, sys
d, expr = sys.argv[1], sys.argv[2]
pods = [json.loads(l) for l in open(d + "/pods.ndjson")]
nodes = [json.loads(l) for l in open(d + "/nodes.ndjson")]
v = eval(expr)
print(int(v) if float(v).is_integer() else v)
PY
)
  got=$(query "$1")
  got=${got:-0}
  [ "$got" = "$want" ] || fail "$1 = $got, want $want"
  echo "ok: $1 = $got"
}

for phase in Running Pending Succeeded Failed Unknown; do
  expect "sum(kube_pod_status_phase{phase=\"$phase\"})" \
    "sum(1 for p in pods if p.get('status', {}).get('phase') == '$phase')"
done
expect 'count(kube_node_status_condition{condition="Ready",status="true"} == 1)' \
  "sum(1 for n in nodes for c in n.get('status', {}).get('conditions', []) if c['type'] == 'Ready' and c['status'] == 'True')"
expect 'sum(kube_pod_container_status_restarts_total)' \
  "sum(s.get('restartCount', 0) for p in pods for s in p.get('status', {}).get('containerStatuses', []))"
expect 'count(kube_node_info)' "len(nodes)"
gz=$(curl -sf "http://127.0.0.1:$TPORT_main/metrics" |
  awk '/^ksmc_scrape_response_bytes_total\{.*encoding="gzip"/ {print int($NF)}')
[ "${gz:-0}" -gt 0 ] || fail "Prometheus got no gzip response from ksmc (ksmc_scrape_response_bytes_total)"
echo "ok: Prometheus read $gz bytes of gzip bodies"
echo "1 passed, 0 failed"
