#!/usr/bin/env bash
# End to end: autosharding (--pod/--pod-namespace) against the API simulator. A StatefulSet
# `ksmc` with 2 replicas and pods ksmc-0/ksmc-1 (owner references as a StatefulSet
# controller writes them); one exporter per pod. The union of their /metrics must equal
# `ksmc render` of the ground truth with no series twice. Then replicas -> 3 (PATCH, as
# `kubectl scale` does) and ksmc-2 starts: the two running exporters re-shard on their
# own and the union of three is exact again. Then replicas -> 2: ksmc-2 (ordinal >=
# replicas) exports nothing and the union of the three is still exact.
# usage: autoshard_sim.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"

NS=monitoring
start_apisim --nodes 4 --pods-per-node 8 --namespaces 2 --seed 5

api() { # METHOD PATH [JSON [CONTENT-TYPE]]
  curl -sf -X "$1" -H "Content-Type: ${4:-application/json}" ${3:+--data-binary "$3"} "$SIM$2"
}
sts_json() {
  printf '{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"ksmc","namespace":"%s","labels":{"app.kubernetes.io/name":"ksmc"}},"spec":{"replicas":%d,"serviceName":"ksmc","selector":{"matchLabels":{"app.kubernetes.io/name":"ksmc"}},"template":{"metadata":{"labels":{"app.kubernetes.io/name":"ksmc"}},"spec":{"containers":[{"name":"ksmc","image":"localhost/ksmc:latest"}]}}}}' "$NS" "$1"
}
STS_UID=$(api POST "/apis/apps/v1/namespaces/$NS/statefulsets" "$(sts_json 2)" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["uid"])') || fail "create the StatefulSet"
make_pod() { # ORDINAL
  api POST "/api/v1/namespaces/$NS/pods" "$(printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ksmc-%d","namespace":"%s","labels":{"app.kubernetes.io/name":"ksmc"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"ksmc","uid":"%s","controller":true,"blockOwnerDeletion":true}]},"spec":{"nodeName":"node-0","containers":[{"name":"ksmc","image":"localhost/ksmc:latest"}]},"status":{"phase":"Running"}}' "$1" "$NS" "$STS_UID")" >/dev/null ||
    fail "create pod ksmc-$1"
}
set_replicas() {
  api PATCH "/apis/apps/v1/namespaces/$NS/statefulsets/ksmc" "{\"spec\":{\"replicas\":$1}}" \
    application/merge-patch+json >/dev/null || fail "patch replicas to $1"
}
make_pod 0
make_pod 1

telemetry_has() { # NAME LINE
  local tport
  eval "tport=\$TPORT_$1"
  for _ in $(seq 40); do
    curl -sf "http://127.0.0.1:$tport/metrics" | grep -qx "$2" && return 0
    sleep 0.25
  done
  fail "ksmc $1 self-metrics lack: $2"
}
not_ready() { # NAME: /readyz answers 503 before it is synced
  local tport
  eval "tport=\$TPORT_$1"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tport/readyz")" = 503 ]
}

# Wrong use first: a pod without a StatefulSet owner keeps serving, unready, with an error.
api POST "/api/v1/namespaces/$NS/pods" '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"loner-0","namespace":"monitoring"},"spec":{"containers":[{"name":"c","image":"i"}]}}' >/dev/null
start_ksmc loner --pod loner-0 --pod-namespace "$NS"
# Wait for the error (not a fixed sleep: a loaded machine can take seconds to get there).
for _ in $(seq 100); do
  grep -q "has no apps/v1 StatefulSet owner reference" "$E2E_TMP/ksmc-loner.log" && break
  sleep 0.1
done
not_ready loner || fail "a pod without a StatefulSet must not become ready"
grep -q "has no apps/v1 StatefulSet owner reference" "$E2E_TMP/ksmc-loner.log" || fail "no clear error for a pod without a StatefulSet"
kill "$PID_loner"
api DELETE "/api/v1/namespaces/$NS/pods/loner-0" >/dev/null
echo "ok: a pod outside a StatefulSet gets a clear error and stays unready"

start_ksmc a --pod ksmc-0 --pod-namespace "$NS"
start_ksmc b --pod ksmc-1 --pod-namespace "$NS"
wait_ready a
wait_ready b
telemetry_has a 'kube_state_metrics_total_shards 2'
telemetry_has b 'kube_state_metrics_shard_ordinal{shard_ordinal="1"} 1'
union_equal a b
for n in a b; do
  p="PORT_$n"
  [ "$(curl -sf "http://127.0.0.1:${!p}/metrics" | grep -vc '^#')" -gt 100 ] || fail "shard $n holds almost nothing"
done
echo "ok: 2 autosharded replicas union to the ground truth, nothing doubled"

set_replicas 3
make_pod 2
start_ksmc c --pod ksmc-2 --pod-namespace "$NS"
for n in a b; do
  for _ in $(seq 40); do grep -q 're-sharding: shard [01] of 3' "$E2E_TMP/ksmc-$n.log" && break; sleep 0.25; done
  grep -q 're-sharding: shard [01] of 3' "$E2E_TMP/ksmc-$n.log" || fail "ksmc $n did not re-shard to 3"
done
wait_ready a
wait_ready b
wait_ready c
telemetry_has a 'kube_state_metrics_total_shards 3'
union_equal a b c
echo "ok: replicas 2 -> 3 re-shards; the union of 3 is exact"

set_replicas 2
telemetry_has c 'kube_state_metrics_total_shards 2'
wait_ready c
union_equal a b c
[ "$(curl -sf "http://127.0.0.1:$PORT_c/metrics" | grep -vc '^#')" = 0 ] || fail "ksmc-2 beyond replicas still exports"
grep -q 'exporting nothing' "$E2E_TMP/ksmc-c.log" || fail "no warning on the scaled-in replica"
echo "ok: replicas 3 -> 2: the extra replica exports nothing, the union stays exact"
echo "1 passed, 0 failed"
