#!/usr/bin/env bash
# apisim's recorded cyclic replay (tools/apisim/replay.c), the churn bench/run measures:
# record a cycle of churn on a tiny cluster, replay it K whole cycles at a fixed rate
# through a real watch (curl) and through ksmc, and check that
#  - every watch event is a real change of the pod it touches (MODIFIED differs from the
#    pod's previous state apart from resourceVersion, ADDED only for absent pods, DELETED
#    only for present ones), and resourceVersions strictly increase;
#  - the replay delivered exactly K × the cycle's events, at the asked rate (± tolerance);
#  - after K whole cycles the watch's state and ksmc's /metrics equal those before (s0 ->
#    s0); stopped mid-cycle, /metrics equals the ground truth (LIST follows the replay) and
#    differs from s0;
#  - the watch stream written straight from the objects' bytes equals, byte for byte, the
#    one formatted into a buffer first (apisimBuffered=1) and one handed out in odd small
#    pieces (apisimFill=777);
#  - the replay used the pod slots resolved at record time (replaySlotMisses 0), and a
#    replay by key lookup (verify=1) agrees with every one of them over two cycles;
#  - live churn, a new recording and pod writes are refused or invalidate as documented.
# usage: apisim_replay.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
RESOURCES=pods
. "$(dirname "$0")/lib.sh"

start_apisim --nodes 2 --pods-per-node 12 --namespaces 3 --seed 11
start_ksmc a
wait_ready a
MURL="http://127.0.0.1:$PORT_a/metrics"
# a counter of /_sim/stats (sed, not python: python's start-up is ~0.3 s on a busy machine)
simstat() { curl -sf "$SIM/_sim/stats" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }

# 409 before any recording
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SIM/_sim/churn/replay?rate=100")
[ "$code" = 409 ] || fail "replay without a recording answered $code, want 409"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SIM/_sim/churn/record?n=0")
[ "$code" = 400 ] || fail "record?n=0 answered $code, want 400"

rec=$(curl -sf -X POST "$SIM/_sim/churn/record?n=150") || fail "record"
echo "recorded: $rec"
N=$(grep -o '"events":[0-9]*' <<<"$rec" | cut -d: -f2)
python3 - "$rec" <<'PYEOF' || fail "recording counts"
import json, sys
r = json.loads(sys.argv[1])
assert r["n"] == 150 and r["events"] > 0, r
assert r["creates"] > 0 and r["updates"] > 0 and r["deletes"] > 0, r
assert r["creates"] + r["updates"] + r["deletes"] == r["events"], r
# a cycle: every pod created in it is deleted again and every deleted one comes back
assert r["creates"] == r["deletes"], r
assert r["closing"] > 0 and r["bytes"] > 0, r
PYEOF
[ "$(simstat replayCycleEvents)" = "$N" ] || fail "stats replayCycleEvents"
metrics_equal a
cp "$E2E_TMP/got.prom" "$E2E_TMP/s0.prom"
curl -sf "$SIM/_sim/objects?resource=pods" >"$E2E_TMP/s0.ndjson"
echo "ok: recorded a cycle of $N events; ksmc equals the ground truth at s0"

# a watch from the current RV sees the replay
RV0=$(simstat resourceVersion)
curl -sN "$SIM/api/v1/pods?watch=1&resourceVersion=$RV0" >"$E2E_TMP/watch.ndjson" &
WATCH=$!
E2E_PIDS+=("$WATCH")
# the same events formatted the buffered way, and cut into 777-byte reads
curl -sN "$SIM/api/v1/pods?watch=1&resourceVersion=$RV0&apisimBuffered=1" >"$E2E_TMP/watch-buffered.ndjson" &
WATCH_B=$!
E2E_PIDS+=("$WATCH_B")
curl -sN "$SIM/api/v1/pods?watch=1&resourceVersion=$RV0&apisimFill=777" >"$E2E_TMP/watch-fill.ndjson" &
WATCH_F=$!
E2E_PIDS+=("$WATCH_F")
EV_RE='^ksmc_watch_events_total\{resource="pods"'
kev() { curl -s "http://127.0.0.1:$TPORT_a/metrics" | awk -v re="$EV_RE" '$0 ~ re {s += $NF} END {printf "%.0f", s}'; }
kev0=$(kev)

# K whole cycles at RATE events/s (about 2.5 s)
RATE=400
K=$(( (RATE * 5 / 2 + N - 1) / N ))
t0=$EPOCHREALTIME
curl -sf -X POST "$SIM/_sim/churn/replay?rate=$RATE&cycles=$K" >/dev/null || fail "start replay"
for _ in $(seq 600); do
  [ "$(simstat replayRate)" = 0 ] && break
  sleep 0.05
done
t1=$EPOCHREALTIME
[ "$(simstat replayRate)" = 0 ] || fail "the replay did not stop after $K cycles"
got=$(simstat replayEvents)
[ "$got" = $((K * N)) ] || fail "replayed $got events, want $K x $N"
[ "$(simstat replayCycles)" = "$K" ] || fail "replayCycles"
[ "$(simstat replayPosition)" = 0 ] || fail "replayPosition after whole cycles"
python3 - "$got" "$t0" "$t1" "$RATE" <<'PYEOF' || fail "offered rate"
import sys
n, t0, t1, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
got = n / (t1 - t0)
print("ok: replayed %d events in %.2f s: %.0f/s for %.0f/s asked" % (n, t1 - t0, got, rate))
# the lower bound allows for the polling above on a loaded machine
assert 0.6 * rate <= got <= 1.15 * rate, got
PYEOF
echo "ok: $K cycles, $got events, then the replay stopped by itself"

# the watch received every event
for _ in $(seq 300); do
  [ "$(wc -l <"$E2E_TMP/watch.ndjson")" -ge "$got" ] && break
  sleep 0.1
done
for f in watch-buffered watch-fill; do
  for _ in $(seq 300); do
    [ "$(wc -l <"$E2E_TMP/$f.ndjson")" -ge "$got" ] && break
    sleep 0.1
  done
done
kill "$WATCH" "$WATCH_B" "$WATCH_F" 2>/dev/null || true
for f in watch-buffered watch-fill; do
  cmp "$E2E_TMP/watch.ndjson" "$E2E_TMP/$f.ndjson" || fail "the direct watch stream differs from $f"
done
echo "ok: the direct watch stream equals the buffered one and the one in 777-byte reads ($(wc -c <"$E2E_TMP/watch.ndjson") bytes)"
python3 - "$E2E_TMP/s0.ndjson" "$E2E_TMP/watch.ndjson" "$RV0" "$got" <<'PYEOF' || fail "watch events"
import json, sys
def key(o):
    m = o["metadata"]
    return m["namespace"] + "/" + m["name"]
def body(o):
    o = json.loads(json.dumps(o))
    rv = o["metadata"].pop("resourceVersion")
    return json.dumps(o, sort_keys=True), int(rv)
s0 = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    s0[key(o)] = body(o)[0]
state = dict(s0)
last = int(sys.argv[3])
n = 0
types = {}
for line in open(sys.argv[2]):
    e = json.loads(line)
    t, o = e["type"], e["object"]
    b, rv = body(o)
    k = key(o)
    assert rv > last, "resourceVersion %d after %d" % (rv, last)
    last = rv
    if t == "ADDED":
        assert k not in state, "ADDED %s, which exists" % k
        state[k] = b
    elif t == "MODIFIED":
        assert k in state, "MODIFIED %s, which does not exist" % k
        assert state[k] != b, "MODIFIED %s changes nothing" % k
        state[k] = b
    elif t == "DELETED":
        assert state.get(k) == b, "DELETED %s is not its last state" % k
        del state[k]
    else:
        raise AssertionError("unexpected event " + t)
    types[t] = types.get(t, 0) + 1
    n += 1
assert n == int(sys.argv[4]), "watch saw %d events, want %s" % (n, sys.argv[4])
assert state == s0, "after whole cycles the pods differ from s0"
print("ok: %d watch events (%s), each a real change, RVs increasing, s0 -> s0" % (n, types))
PYEOF

# ksmc applied them all and is back at s0
for _ in $(seq 300); do
  [ $(($(kev) - kev0)) -ge "$got" ] && break
  sleep 0.1
done
[ $(($(kev) - kev0)) -ge "$got" ] || fail "ksmc applied $(($(kev) - kev0)) of $got events"
curl -sf "$MURL" >"$E2E_TMP/after.prom" || fail "scrape"
cmp -s <(sort "$E2E_TMP/s0.prom") <(sort "$E2E_TMP/after.prom") ||
  { diff <(sort "$E2E_TMP/s0.prom") <(sort "$E2E_TMP/after.prom") | head >&2; fail "ksmc's /metrics after $K cycles differs from s0"; }
echo "ok: ksmc applied $got events and its /metrics after $K whole cycles equals s0's"

# stopped mid-cycle: LIST follows the replay, ksmc equals it, and it is not s0
curl -sf -X POST "$SIM/_sim/churn/replay?rate=$RATE" >/dev/null || fail "restart replay"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SIM/_sim/churn?rate=10")
[ "$code" = 409 ] || fail "live churn during a replay answered $code, want 409"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SIM/_sim/churn/record?n=5")
[ "$code" = 409 ] || fail "recording during a replay answered $code, want 409"
for _ in $(seq 200); do
  p=$(simstat replayPosition)
  [ "$p" -ge $((N / 3)) ] && break
  sleep 0.02
done
curl -sf -X POST "$SIM/_sim/churn/replay?rate=0" >/dev/null || fail "stop replay"
p=$(simstat replayPosition)
[ "$p" != 0 ] || fail "stopped at a cycle end (position 0); want mid-cycle"
metrics_equal a
cmp -s <(sort "$E2E_TMP/s0.prom") <(sort "$E2E_TMP/got.prom") && fail "mid-cycle /metrics equal s0's"
echo "ok: stopped at position $p of $N: ksmc equals the ground truth, which is not s0"
# resuming finishes the cycle from there
curl -sf -X POST "$SIM/_sim/churn/replay?rate=2000&cycles=1" >/dev/null || fail "resume"
for _ in $(seq 300); do
  [ "$(simstat replayRate)" = 0 ] && break
  sleep 0.05
done
[ "$(simstat replayPosition)" = 0 ] || fail "resume did not end at the cycle's end"
metrics_equal a
cmp -s <(sort "$E2E_TMP/s0.prom") <(sort "$E2E_TMP/got.prom") || fail "after resuming to the cycle end /metrics differs from s0"
echo "ok: resumed from position $p to the cycle's end: back at s0"

# the slots resolved at record time: every event so far used its slot, and the key lookup
# (verify=1) finds each of them exactly where the slot says over two more cycles
[ "$(simstat replaySlotMisses)" = 0 ] || fail "replaySlotMisses $(simstat replaySlotMisses), want 0"
r0=$(simstat replayEvents)
curl -sf -X POST "$SIM/_sim/churn/replay?rate=4000&cycles=2&verify=1" >/dev/null || fail "verify replay"
for _ in $(seq 300); do
  [ "$(simstat replayRate)" = 0 ] && break
  sleep 0.05
done
[ $(($(simstat replayEvents) - r0)) = $((2 * N)) ] || fail "verify replay: $(($(simstat replayEvents) - r0)) events, want $((2 * N))"
[ "$(simstat replayVerifyMismatches)" = 0 ] || fail "replayVerifyMismatches $(simstat replayVerifyMismatches), want 0"
[ "$(simstat replaySlotMisses)" = 0 ] || fail "replaySlotMisses after the verify replay"
metrics_equal a
cmp -s <(sort "$E2E_TMP/s0.prom") <(sort "$E2E_TMP/got.prom") || fail "after two verified cycles /metrics differs from s0"
echo "ok: 2 cycles replayed by key lookup agree with every resolved slot; back at s0"

# a pod written from outside invalidates the recording
pod=$(head -1 "$E2E_TMP/s0.ndjson" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["metadata"]["namespace"] + "/" + o["metadata"]["name"])')
curl -sf -X DELETE "$SIM/api/v1/namespaces/${pod%/*}/pods/${pod#*/}" >/dev/null || fail "delete a pod"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SIM/_sim/churn/replay?rate=100")
[ "$code" = 409 ] || fail "replay after a pod write answered $code, want 409"
[ "$(simstat replayValid)" = false ] || fail "replayValid after a pod write"
echo "ok: a pod written outside the replay invalidates the recording"
echo "all checks passed"
