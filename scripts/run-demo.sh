#!/usr/bin/env bash
# The main job: builds ksmc and runs the exporter. With a Kubernetes cluster configured
# (in-cluster service account, $KUBECONFIG or ~/.kube/config) it exports that cluster;
# otherwise it starts the bundled API simulator with a synthetic, churning cluster and
# exports that. Ctrl-C stops everything.
#
# usage: scripts/run-demo.sh [--nodes N] [--pods-per-node M] [--churn-rate R] [-- KSMC_FLAGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=100 pods_per_node=30 churn=20
while [ $# -gt 0 ]; do
  case "$1" in
  --nodes) nodes=$2; shift 2 ;;
  --pods-per-node) pods_per_node=$2; shift 2 ;;
  --churn-rate) churn=$2; shift 2 ;;
  --) shift; break ;;
  -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
  *) echo "run-demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target ksmc apisim

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

kubeconfig=${KUBECONFIG:-$HOME/.kube/config}
if [ -n "${KUBERNETES_SERVICE_HOST:-}" ]; then
  echo "run-demo: in-cluster configuration found: exporting this cluster"
  exec build/ksmc "$@"
elif [ -f "${kubeconfig%%:*}" ]; then
  echo "run-demo: kubeconfig ${kubeconfig%%:*} found: exporting its current context"
  exec build/ksmc --kubeconfig "${kubeconfig%%:*}" "$@"
fi

log=$(mktemp -d)
build/apisim --nodes "$nodes" --pods-per-node "$pods_per_node" --churn-rate "$churn" --port 0 --quiet \
  >"$log/apisim.out" 2>"$log/apisim.err" &
pids+=($!)
for _ in $(seq 300); do grep -q 'listening on' "$log/apisim.out" 2>/dev/null && break; sleep 0.1; done
sim=$(head -1 "$log/apisim.out" | sed 's/.*listening on //')
[ -n "$sim" ] || { cat "$log/apisim.err" >&2; echo "run-demo: apisim did not start" >&2; exit 1; }

build/ksmc --apiserver "$sim" "$@" &
pids+=($!)
for _ in $(seq 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/readyz)" = 200 ] && break
  sleep 0.1
done
cat <<MSG

  ksmc is exporting a simulated cluster of $nodes nodes and $((nodes * pods_per_node)) pods
  (churning at $churn changes/s):

    metrics    curl http://127.0.0.1:8080/metrics
    self       curl http://127.0.0.1:8081/metrics      readiness: http://127.0.0.1:8081/readyz
    cluster    kubectl --server $sim get pods -A
               kubectl --server $sim apply -f my-pod.yaml      (changes show up in /metrics)

  Ctrl-C stops the exporter and the simulator.
MSG
wait "${pids[1]}"
