# Shared helpers of the end-to-end tests: start the simulator and the exporter on free
# ports, wait for readiness, compare /metrics with `ksmc render` of the ground truth.
# Every process started here is killed on exit.

E2E_TMP=$(mktemp -d)
# The resources the tests export and compare (every one the simulator serves with data).
RESOURCES=${RESOURCES:-nodes pods namespaces ingresses replicasets daemonsets statefulsets services persistentvolumeclaims endpointslices deployments jobs replicationcontrollers storageclasses ingressclasses leases networkpolicies volumeattachments configmaps secrets resourcequotas endpoints limitranges persistentvolumes poddisruptionbudgets certificatesigningrequests mutatingwebhookconfigurations validatingwebhookconfigurations cronjobs horizontalpodautoscalers}
E2E_PIDS=()

e2e_cleanup() {
  for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "${E2E_TMP_KEPT:-0}" = 1 ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# fail MESSAGE: print it and the tail of every exporter's log (the temporary directory is
# removed on exit, and a CI log is all there is to debug from); E2E_KEEP=1 keeps the
# directory instead and names it.
fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$E2E_TMP"/ksmc-*.log; do
    [ -f "$log" ] || continue
    echo "--- last 40 lines of $(basename "$log") ---" >&2
    tail -n 40 "$log" >&2
  done
  if [ "${E2E_KEEP:-0}" = 1 ]; then
    echo "E2E_KEEP=1: kept $E2E_TMP" >&2
    E2E_TMP_KEPT=1
  fi
  exit 1
}

# start_apisim ARGS... -> sets SIM (base URL)
start_apisim() {
  local out=$E2E_TMP/apisim.out
  "$APISIM" --port 0 --quiet "$@" >"$out" 2>"$E2E_TMP/apisim.err" &
  E2E_PIDS+=($!)
  for _ in $(seq 100); do
    if grep -q 'listening on' "$out" 2>/dev/null; then
      SIM=$(head -1 "$out" | sed 's/.*listening on //')
      return 0
    fi
    sleep 0.1
  done
  cat "$E2E_TMP/apisim.err" >&2
  fail "apisim did not start"
}

# start_ksmc NAME ARGS... -> sets PORT_<NAME>, TPORT_<NAME> (metrics and telemetry ports)
start_ksmc() {
  local name=$1
  shift
  local log=$E2E_TMP/ksmc-$name.log
  ${KSMC_WRAPPER:-} "$KSMC" --apiserver "$SIM" --port 0 --telemetry-port 0 --host 127.0.0.1 \
    --telemetry-host 127.0.0.1 --resources="${RESOURCES// /,}" "$@" 2>"$log" &
  E2E_PIDS+=($!)
  eval "PID_$name=$!"
  for _ in $(seq 200); do
    local line
    line=$(grep -m1 'serving /metrics on port' "$log" 2>/dev/null || true)
    if [ -n "$line" ]; then
      eval "PORT_$name=$(echo "$line" | sed 's/.*on port \([0-9]*\),.*/\1/')"
      eval "TPORT_$name=$(echo "$line" | sed 's/.*telemetry and \/readyz on port \([0-9]*\);.*/\1/')"
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  fail "ksmc $name did not start"
}

# wait_ready NAME: /readyz on the telemetry port answers 200.
wait_ready() {
  local tport
  eval "tport=\$TPORT_$1"
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tport/readyz")" = 200 ] && return 0
    sleep 0.1
  done
  fail "ksmc $1 never became ready"
}

sim_post() { curl -sf -X POST "$SIM/_sim/$1" >/dev/null || fail "POST /_sim/$1"; }

# ground_truth FILE [RENDER ARGS]: `ksmc render` of every object the simulator holds, for
# every resource of $RESOURCES (objects in $E2E_TMP/<resource>.ndjson). One curl fetches
# every resource; a resource whose objects and render args are byte for byte those of
# the previous call is not rendered again (rendering is a pure function of both, and the
# retry loops below poll a simulator that stopped changing: each ksmc start-up costs
# ~40 ms of CPU, 23 resources a second per retry).
ground_truth() {
  local out=$1 res key urls=() parts=()
  shift
  mkdir -p "$E2E_TMP/gt"
  for res in $RESOURCES; do urls+=("$SIM/_sim/objects?resource=$res" -o "$E2E_TMP/$res.ndjson"); done
  curl -sf --fail-early "${urls[@]}" || fail "ground truth"
  for res in $RESOURCES; do
    key=
    [ -f "$E2E_TMP/gt/$res.args" ] && IFS= read -r key <"$E2E_TMP/gt/$res.args"
    if [ "$key" != "render $*" ] || ! cmp -s "$E2E_TMP/$res.ndjson" "$E2E_TMP/gt/$res.ndjson"; then
      "$KSMC" render --resource "$res" "$@" "$E2E_TMP/$res.ndjson" >"$E2E_TMP/gt/$res.prom" 2>"$E2E_TMP/render.err" ||
        { rm -f "$E2E_TMP/gt/$res.args"; cat "$E2E_TMP/render.err" >&2; fail "ksmc render of the ground truth"; }
      cp "$E2E_TMP/$res.ndjson" "$E2E_TMP/gt/$res.ndjson"
      printf 'render %s\n' "$*" >"$E2E_TMP/gt/$res.args"
    fi
    parts+=("$E2E_TMP/gt/$res.prom")
  done
  cat "${parts[@]}" >"$out"
}

# metrics_equal NAME [render args]: retries for up to 30 s until /metrics of ksmc NAME equals
# the ground truth as a set of lines (object order is unspecified, like KSM's).
metrics_equal() {
  local name=$1 port
  shift
  eval "port=\$PORT_$name"
  for _ in $(seq 60); do
    ground_truth "$E2E_TMP/want.prom" "$@"
    curl -sf "http://127.0.0.1:$port/metrics" >"$E2E_TMP/got.prom" || fail "scrape $name"
    if cmp -s <(sort "$E2E_TMP/want.prom") <(sort "$E2E_TMP/got.prom"); then
      [ -s "$E2E_TMP/got.prom" ] || fail "empty /metrics"
      return 0
    fi
    sleep 0.5
  done
  diff <(sort "$E2E_TMP/want.prom") <(sort "$E2E_TMP/got.prom") | head -20 >&2
  fail "/metrics of $name differs from the ground truth"
}

# union_equal NAME...: retries for up to 30 s until the union of the samples (not the
# HELP/TYPE headers) of the named ksmc instances equals the ground truth's, each series
# exactly once: a sharded or per-node split loses nothing and doubles nothing.
union_equal() {
  local n port
  for _ in $(seq 60); do
    ground_truth "$E2E_TMP/want.prom"
    grep -v '^#' "$E2E_TMP/want.prom" | sort >"$E2E_TMP/want.sorted"
    : >"$E2E_TMP/union.prom"
    for n in "$@"; do
      eval "port=\$PORT_$n"
      curl -sf "http://127.0.0.1:$port/metrics" | grep -v '^#' >>"$E2E_TMP/union.prom" || true
    done
    sort "$E2E_TMP/union.prom" >"$E2E_TMP/union.sorted"
    if cmp -s "$E2E_TMP/want.sorted" "$E2E_TMP/union.sorted"; then
      [ -s "$E2E_TMP/union.sorted" ] || fail "empty /metrics"
      return 0
    fi
    sleep 0.5
  done
  echo "series doubled: $(uniq -d "$E2E_TMP/union.sorted" | wc -l); diff (want < > got):" >&2
  diff "$E2E_TMP/want.sorted" "$E2E_TMP/union.sorted" | head -10 >&2 || true
  fail "the union of $* differs from the ground truth"
}
