#!/usr/bin/env bash
# End to end: the per-node variant (deploy/variants/daemonset) against the API simulator.
# One exporter per node with --resources=pods --node=<node> (the DaemonSet) plus one
# cluster-wide exporter with --track-unscheduled-pods (every other resource and the pods
# bound to no node): the union of their /metrics equals `ksmc render` of the ground truth,
# every series exactly once, also after pods churn.
# usage: pernode_sim.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"

start_apisim --nodes 3 --pods-per-node 8 --namespaces 2 --seed 9
# One pod no scheduler has bound yet.
curl -sf -X POST -H 'Content-Type: application/json' "$SIM/api/v1/namespaces/default/pods" \
  --data-binary '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pending-0","namespace":"default"},"spec":{"containers":[{"name":"c","image":"i"}]},"status":{"phase":"Pending"}}' \
  >/dev/null || fail "create an unscheduled pod"
mapfile -t NODES < <(curl -sf "$SIM/_sim/objects?resource=nodes" |
  python3 -c 'import json,sys; [print(json.loads(l)["metadata"]["name"]) for l in sys.stdin if l.strip()]')
[ "${#NODES[@]}" = 3 ] || fail "expected 3 nodes, got ${#NODES[*]}"

names=()
for i in "${!NODES[@]}"; do
  RESOURCES=pods start_ksmc "n$i" --node="${NODES[$i]}"
  names+=("n$i")
done
start_ksmc cluster --track-unscheduled-pods
names+=(cluster)
for n in "${names[@]}"; do wait_ready "$n"; done

union_equal "${names[@]}"
grep -q 'pod="pending-0"' <(curl -sf "http://127.0.0.1:$PORT_cluster/metrics") ||
  fail "the unscheduled pod is not exported by the --track-unscheduled-pods instance"
for i in "${!NODES[@]}"; do
  p="PORT_n$i"
  got=$(curl -sf "http://127.0.0.1:${!p}/metrics" | grep '^kube_pod_info{' | grep -vc "node=\"${NODES[$i]}\"" || true)
  [ "$got" = 0 ] || fail "exporter n$i exports pods of other nodes"
done
echo "ok: per-node exporters + --track-unscheduled-pods union to the ground truth, nothing doubled"

sim_post "churn?rate=100"
sleep 1.5
sim_post "churn?rate=0"
union_equal "${names[@]}"
echo "ok: still exact after churn"
echo "1 passed, 0 failed"
