#!/usr/bin/env bash
# The real kubectl against tools/apisim: get nodes, get pods -A, get pods -o json compared
# with the simulator's ground truth, apply/delete, get -w seeing a change, and HTTPS with a
# bearer token. kubectl always runs with a fresh HOME and --cache-dir (discovery is cached).
. "$(dirname "$0")/apisim_lib.sh"
KUBECTL=${KUBECTL:-kubectl}
command -v "$KUBECTL" > /dev/null || { echo "FAIL: kubectl not installed (scripts/setup-debian.sh installs kubernetes-client)" >&2; exit 1; }
export HOME="$WORK/home"
mkdir -p "$HOME"
start_apisim --nodes 8 --pods-per-node 12 --namespaces 3 --seed 5
k() { timeout 30 "$KUBECTL" --server="$BASE" --cache-dir="$WORK/cache" "$@"; }

k get nodes > "$WORK/nodes.txt" 2>&1
check "kubectl get nodes: header + 8 Ready/NotReady rows" $PY - "$WORK/nodes.txt" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], lines[:2]
assert len(lines) == 9, lines
assert all(l.split()[1] in ("Ready", "NotReady", "Unknown", "Ready,SchedulingDisabled") for l in lines[1:]), lines
PYEOF

get "/_sim/objects?resource=pods" > "$WORK/truth.ndjson"
k get pods -A > "$WORK/pods.txt" 2>&1
check "kubectl get pods -A: every pod with its namespace" $PY - "$WORK/pods.txt" "$WORK/truth.ndjson" <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split()[:6] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], lines[0]
got = sorted((l.split()[0], l.split()[1]) for l in lines[1:])
objs = [json.loads(l)["metadata"] for l in open(sys.argv[2]) if l.strip()]
want = sorted((m["namespace"], m["name"]) for m in objs)
assert got == want, (len(got), len(want))
PYEOF
k get pods -A --chunk-size=7 --no-headers > "$WORK/pods7.txt" 2>&1
check "kubectl get pods -A --chunk-size=7 (pagination) lists the same pods" bash -c "[ \$(wc -l < '$WORK/pods7.txt') = \$(wc -l < '$WORK/truth.ndjson') ]"

NS=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["metadata"]["namespace"])' "$WORK/truth.ndjson")
k get pods -n "$NS" -o json > "$WORK/pods.json" 2> "$WORK/err.txt"
get "/_sim/objects?resource=pods&namespace=$NS" > "$WORK/truth_ns.ndjson"
check "kubectl get pods -n $NS -o json equals the simulator's objects" $PY - "$WORK/pods.json" "$WORK/truth_ns.ndjson" <<'PYEOF'
import json, sys
got = json.load(open(sys.argv[1]))["items"]
truth = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(got) == len(truth) > 0
assert sorted((o["metadata"]["name"], o["metadata"]["uid"]) for o in got) == sorted((o["metadata"]["name"], o["metadata"]["uid"]) for o in truth)
# kubectl re-encodes and hides managedFields, otherwise the content is the same object
byuid = {o["metadata"]["uid"]: o for o in truth}
for o in byuid.values(): o["metadata"].pop("managedFields", None)
assert all(o == byuid[o["metadata"]["uid"]] for o in got)
PYEOF
k get deployments,replicasets -A > "$WORK/apps.txt" 2>&1
check "kubectl get deployments,replicasets -A" grep -q "deployment.apps/" "$WORK/apps.txt"

cat > "$WORK/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: default
  labels: {app: hello}
spec:
  containers:
  - name: c
    image: nginx:1.27
YAML
# get -w in the background sees the pod being created and deleted
k get pods -n default -w > "$WORK/watch.txt" 2>&1 &
W=$!; BG_PIDS+=($W)
# kubectl lists, then watches from the list's resourceVersion: wait until its watch is open
# (a fixed sleep lost the race when kubectl started slowly on a loaded machine: it then
# listed after the delete below and never printed the row).
watches_active() { curl -s "$BASE/_sim/stats" | sed 's/.*"watchesActive":\([0-9]*\).*/\1/'; }
for _ in $(seq 300); do [ "$(watches_active)" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
check "kubectl get pods -w opened a watch" [ "$(watches_active)" -ge 1 ]
k apply -f "$WORK/pod.yaml" > "$WORK/apply.txt" 2>&1
check "kubectl apply -f pod.yaml creates it" grep -q "pod/hello created" "$WORK/apply.txt"
check "the simulator holds it" bash -c "curl -s '$BASE/_sim/objects?resource=pods&namespace=default' | grep -q '\"name\":\"hello\"'"
sed -i 's/nginx:1.27/nginx:1.28/' "$WORK/pod.yaml"
k apply -f "$WORK/pod.yaml" > "$WORK/apply2.txt" 2>&1
check "kubectl apply again patches it" bash -c "grep -q 'pod/hello configured' '$WORK/apply2.txt' && [ \"\$(timeout 30 $KUBECTL --server=$BASE --cache-dir=$WORK/cache get pod hello -o jsonpath='{.spec.containers[0].image}')\" = nginx:1.28 ]"
k delete pod hello > "$WORK/delete.txt" 2>&1
check "kubectl delete pod hello" grep -q 'pod "hello" deleted' "$WORK/delete.txt"
check "the simulator no longer holds it" bash -c "! curl -s '$BASE/_sim/objects?resource=pods&namespace=default' | grep -q '\"name\":\"hello\"'"
sleep 1
kill $W 2>/dev/null; wait $W 2>/dev/null
check "kubectl get pods -w printed the new pod row" grep -q "^hello " "$WORK/watch.txt"
[ "$FAILS" = 0 ] || { echo "--- watch output"; cat "$WORK/watch.txt"; }
k get pod hello > "$WORK/nf.txt" 2>&1
check "kubectl get of a missing pod: NotFound from server" grep -q 'Error from server (NotFound): pods "hello" not found' "$WORK/nf.txt"

# HTTPS with a generated CA and a bearer token
kill "$APISIM_PID"; wait "$APISIM_PID" 2>/dev/null; APISIM_PID=
rm -f "$WORK/out"
start_apisim --nodes 3 --pods-per-node 2 --namespaces 1 --tls --tls-dir "$WORK/tls" --token s3cret
check "apisim --tls prints an https URL" bash -c "case '$BASE' in https://*) true;; *) false;; esac"
kt() { timeout 30 "$KUBECTL" --server="$BASE" --cache-dir="$WORK/cache-tls" --certificate-authority="$WORK/tls/ca.crt" "$@"; }
kt --token s3cret get nodes --no-headers > "$WORK/tls.txt" 2>&1
check "kubectl over HTTPS with the CA and token" bash -c "[ \$(wc -l < '$WORK/tls.txt') = 3 ]"
kt --token wrong get nodes > "$WORK/tls401.txt" 2>&1
check "a wrong token is refused (401 Unauthorized)" grep -qi "unauthorized" "$WORK/tls401.txt"
finish
