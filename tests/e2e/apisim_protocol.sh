#!/usr/bin/env bash
# Protocol tests of tools/apisim with curl (python3 only checks JSON):
# pagination, watch exactly-once, 410s, bookmarks, sendInitialEvents, selectors, Tables,
# gzip, errors and the injected faults. Bounded: every request has a timeout.
. "$(dirname "$0")/apisim_lib.sh"
start_apisim --nodes 20 --pods-per-node 12 --namespaces 4 --seed 3 --bookmark-interval 1

# --- pagination walks every object exactly once, all pages share the snapshot RV ---
get "/_sim/objects?resource=pods" > "$WORK/truth.ndjson"
walk() { # walk LIMIT EXTRA_QUERY OUT
  local cont= page=0 q
  : > "$3"
  while :; do
    q="/api/v1/pods?limit=$1$2"
    [ -n "$cont" ] && q="$q&continue=$cont"
    get "$q" > "$WORK/page"
    echo >> "$WORK/page"
    cat "$WORK/page" >> "$3"
    cont=$(grep -o '"continue":"[^"]*"' "$WORK/page" | head -1 | cut -d'"' -f4)
    page=$((page + 1))
    [ -z "$cont" ] && break
    [ $page -gt 1000 ] && break
  done
}
walk 37 "" "$WORK/pages"
defer_check "pagination (limit=37) returns every pod exactly once, one snapshot RV" "$WORK/pages" "$WORK/truth.ndjson" <<'PYEOF'
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
truth = {json.loads(l)["metadata"]["uid"] for l in open(sys.argv[2]) if l.strip()}
uids = [i["metadata"]["uid"] for p in pages for i in p["items"]]
rvs = {p["metadata"]["resourceVersion"] for p in pages}
assert all("kind" not in i for p in pages for i in p["items"]), "list items must not carry kind"
assert len(uids) == len(set(uids)), "duplicates"
assert set(uids) == truth, (len(uids), len(truth))
assert len(rvs) == 1, rvs
assert len(pages) == -(-len(truth) // 37), len(pages)
PYEOF

# pagination under churn still sees one consistent snapshot (no duplicates)
post "/_sim/churn?rate=300"
walk 25 "" "$WORK/pages2"
post "/_sim/churn?rate=0"
defer_check "pagination under churn: no duplicates, one RV" "$WORK/pages2" <<'PYEOF'
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for p in pages for i in p["items"]]
assert len(keys) == len(set(keys)) and keys == sorted(keys)
assert len({p["metadata"]["resourceVersion"] for p in pages}) == 1
PYEOF

# --- a watch from a list's RV sees every later change exactly once ---
get "/api/v1/pods" > "$WORK/list.json"
RV=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["resourceVersion"])' "$WORK/list.json")
curl -sN --max-time 15 "$BASE/api/v1/pods?watch=1&resourceVersion=$RV&timeoutSeconds=4" > "$WORK/watch.ndjson" &
W=$!; BG_PIDS+=($W)
sleep 0.5
post "/_sim/churn?rate=400"
sleep 1.5
post "/_sim/churn?rate=0"
wait $W
get "/_sim/objects?resource=pods" > "$WORK/truth2.ndjson"
defer_check "watch from list RV: list + events == ground truth, every event once, RVs increasing" "$WORK/list.json" "$WORK/watch.ndjson" "$WORK/truth2.ndjson" <<'PYEOF'
import json, sys
lst = json.load(open(sys.argv[1]))
state = {i["metadata"]["uid"]: i["metadata"]["resourceVersion"] for i in lst["items"]}
last = int(lst["metadata"]["resourceVersion"])
n = 0
types = set()
for l in open(sys.argv[2]):
    e = json.loads(l)
    o = e["object"]
    assert e["type"] in ("ADDED", "MODIFIED", "DELETED"), e["type"]
    assert o["kind"] == "Pod" and o["apiVersion"] == "v1"
    rv = int(o["metadata"]["resourceVersion"])
    assert rv > last, (rv, last)
    last = rv
    uid = o["metadata"]["uid"]
    if e["type"] == "ADDED": assert uid not in state; state[uid] = str(rv)
    elif e["type"] == "MODIFIED": assert uid in state; state[uid] = str(rv)
    else: assert uid in state; del state[uid]
    n += 1; types.add(e["type"])
truth = {}
for l in open(sys.argv[3]):
    o = json.loads(l); truth[o["metadata"]["uid"]] = o["metadata"]["resourceVersion"]
assert n > 100, n
assert types == {"ADDED", "MODIFIED", "DELETED"}, types
assert state == truth, "state differs"
PYEOF

# --- 410: too-old RV on watch is 200 + one ERROR event; expired continue is HTTP 410 ---
get "/api/v1/pods?limit=10" > "$WORK/p1.json"
CONT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["continue"])' "$WORK/p1.json")
post "/_sim/compact"
c=$(code "$BASE/api/v1/pods?watch=true&resourceVersion=$RV")
cp "$WORK/body" "$WORK/body410w"
defer_check "watch from a compacted RV: HTTP 200 + one ERROR 410 event" "$c" "$WORK/body410w" <<'PYEOF'
import json, sys
assert sys.argv[1] == "200", sys.argv[1]
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(ev) == 1 and ev[0]["type"] == "ERROR", ev
s = ev[0]["object"]
assert s["kind"] == "Status" and s["code"] == 410 and s["reason"] == "Expired", s
assert s["message"].startswith("too old resource version"), s
PYEOF
c=$(code "$BASE/api/v1/pods?limit=10&continue=$CONT")
cp "$WORK/body" "$WORK/body410c"
defer_check "continue token after compaction: HTTP 410 Expired Status" "$c" "$WORK/body410c" <<'PYEOF'
import json, sys
assert sys.argv[1] == "410", sys.argv[1]
s = json.load(open(sys.argv[2]))
assert s["kind"] == "Status" and s["reason"] == "Expired" and s["code"] == 410, s
PYEOF
get "/api/v1/pods?limit=10" > "$WORK/p1.json"
CONT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["continue"])' "$WORK/p1.json")
post "/_sim/faults?expire_continue=1"
c1=$(code "$BASE/api/v1/pods?limit=10&continue=$CONT"); c2=$(code "$BASE/api/v1/pods?limit=10&continue=$CONT")
check "fault expire_continue=1: one 410 then the token works ($c1 $c2)" [ "$c1.$c2" = "410.200" ]
c=$(code "$BASE/api/v1/pods?limit=10&continue=garbage")
check "malformed continue token: 400" [ "$c" = 400 ]

# --- bookmarks only when asked; sendInitialEvents ---
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&resourceVersion=$($PY -c 'import json,sys;print(json.load(sys.stdin)["metadata"]["resourceVersion"])' < <(get /api/v1/nodes))&allowWatchBookmarks=true&timeoutSeconds=2" > "$WORK/bm.ndjson"
check "BOOKMARK events arrive with allowWatchBookmarks" grep -q '"type":"BOOKMARK"' "$WORK/bm.ndjson"
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&timeoutSeconds=1" > "$WORK/nobm.ndjson"
defer_check "no BOOKMARK without allowWatchBookmarks; synthetic ADDED for RV unset" "$WORK/nobm.ndjson" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert ev and all(e["type"] == "ADDED" for e in ev), [e["type"] for e in ev]
assert len(ev) == 20, len(ev)
PYEOF
curl -sN --max-time 10 "$BASE/api/v1/namespaces/payments/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1" > "$WORK/sie.ndjson"
get "/_sim/objects?resource=pods&namespace=payments" > "$WORK/truth3.ndjson"
defer_check "sendInitialEvents: ADDED for each object, then the initial-events-end bookmark" "$WORK/sie.ndjson" "$WORK/truth3.ndjson" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
truth = {json.loads(l)["metadata"]["uid"] for l in open(sys.argv[2]) if l.strip()}
added = [e for e in ev if e["type"] == "ADDED"]
assert {e["object"]["metadata"]["uid"] for e in added} == truth and len(added) == len(truth)
idx = [i for i, e in enumerate(ev) if e["type"] == "BOOKMARK" and e["object"]["metadata"].get("annotations", {}).get("k8s.io/initial-events-end") == "true"]
assert idx and idx[0] == len(added), idx
PYEOF
c=$(code "$BASE/api/v1/pods?watch=1&sendInitialEvents=true")
check "sendInitialEvents without resourceVersionMatch: 422" [ "$c" = 422 ]

# --- selectors ---
get "/_sim/objects?resource=pods" > "$WORK/truth4.ndjson"
NODE=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["spec"]["nodeName"])' "$WORK/truth4.ndjson")
SELS=()
sel_check() { # sel_check DESCRIPTION QUERY PYTHON-PREDICATE(o): fetched now, checked below
  get "/api/v1/pods?$2" > "$WORK/sel${#SELS[@]}.json"
  SELS+=("$1" "$3")
}
sel_check "label =" "labelSelector=app.kubernetes.io%2Fname%3Dkube-proxy" 'lab(o).get("app.kubernetes.io/name")=="kube-proxy"'
sel_check "label !=" "labelSelector=version!%3Dv1" 'lab(o).get("version")!="v1"'
sel_check "label in" "labelSelector=app.kubernetes.io%2Fname+in+(kube-proxy,aws-node)" 'lab(o).get("app.kubernetes.io/name") in ("kube-proxy","aws-node")'
sel_check "label notin" "labelSelector=version+notin+(v1)" 'lab(o).get("version")!="v1"'
sel_check "label exists" "labelSelector=version" '"version" in lab(o)'
sel_check "label !exists + ==" "labelSelector=!version,app.kubernetes.io%2Fpart-of%3D%3Dkube-system" '"version" not in lab(o) and lab(o).get("app.kubernetes.io/part-of")=="kube-system"'
sel_check "field spec.nodeName" "fieldSelector=spec.nodeName%3D$NODE" 'o["spec"].get("nodeName")=="'$NODE'"'
sel_check "field metadata.namespace!=" "fieldSelector=metadata.namespace!%3Dkube-system" 'o["metadata"]["namespace"]!="kube-system"'
sel_check "field status.phase + label" "fieldSelector=status.phase%3DRunning&labelSelector=version%3Dv2" 'o["status"]["phase"]=="Running" and lab(o).get("version")=="v2"'
$PY - "$WORK" "$WORK/truth4.ndjson" "${SELS[@]}" <<'PYEOF'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
lab = lambda o: o["metadata"].get("labels", {})
args = sys.argv[3:]
for k in range(0, len(args), 2):
    desc, pred = args[k], args[k + 1]
    got = sorted(i["metadata"]["uid"] for i in json.load(open("%s/sel%d.json" % (sys.argv[1], k)))["items"])
    want = sorted(o["metadata"]["uid"] for o in objs if eval(pred))
    if got == want and 0 < len(want) < len(objs):
        print("ok: selector " + desc)
    else:
        print("FAIL: selector %s (got %d, want %d of %d)" % (desc, len(got), len(want), len(objs)))
        bad = True
sys.exit(1 if "bad" in globals() else 0)
PYEOF
[ $? = 0 ] || FAILS=$((FAILS + 1))
c=$(code "$BASE/api/v1/pods?fieldSelector=spec.bogus%3Dx")
check "unknown field selector: 400 field label not supported" grep -q "field label not supported: spec.bogus" "$WORK/body"
[ "$c" = 400 ] || fail "unknown field selector code $c"

# selector enter/leave on a watch: ADDED when a pod starts matching, DELETED when it stops
P=$($PY -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline())["metadata"]; print(o["namespace"]+"/pods/"+o["name"])' "$WORK/truth4.ndjson")
RV=$($PY -c 'import json,sys;print(json.load(sys.stdin)["metadata"]["resourceVersion"])' < <(get /api/v1/pods?limit=1))
# A long server timeout and a poll for the third event, so a loaded machine cannot end the
# watch between the patches.
curl -sN --max-time 30 "$BASE/api/v1/pods?watch=1&resourceVersion=$RV&labelSelector=probe%3Dyes&timeoutSeconds=30" > "$WORK/enter.ndjson" &
W=$!; BG_PIDS+=($W)
sleep 0.5
patch() { curl -sS --max-time 10 -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$1" "$BASE/api/v1/namespaces/$P" > /dev/null; }
patch '{"metadata":{"labels":{"probe":"yes"}}}'
patch '{"metadata":{"labels":{"probe":"yes","other":"1"}}}'
patch '{"metadata":{"labels":{"probe":null}}}'
for _ in $(seq 100); do [ "$(grep -c . "$WORK/enter.ndjson")" -ge 3 ] && break; sleep 0.2; done
sleep 0.3 # an unexpected fourth event would still arrive and fail the check
kill "$W" 2>/dev/null || true
wait "$W" 2>/dev/null || true
defer_check "selector enter/leave -> ADDED, MODIFIED, DELETED" "$WORK/enter.ndjson" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [e["type"] for e in ev] == ["ADDED", "MODIFIED", "DELETED"], [e["type"] for e in ev]
assert ev[2]["object"]["metadata"]["labels"].get("probe") == "yes"  # old content
assert int(ev[2]["object"]["metadata"]["resourceVersion"]) > int(ev[1]["object"]["metadata"]["resourceVersion"])
PYEOF

# --- Tables, PartialObjectMetadata, gzip, discovery, errors ---
curl -sS --max-time 10 -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json' "$BASE/api/v1/nodes" > "$WORK/table.json"
defer_check "Table output for nodes: columns, rows with PartialObjectMetadata" "$WORK/table.json" <<'PYEOF'
import json, sys
t = json.load(open(sys.argv[1]))
assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
cols = [c["name"] for c in t["columnDefinitions"]]
assert cols[:5] == ["Name", "Status", "Roles", "Age", "Version"], cols
assert len(t["rows"]) == 20 and all(len(r["cells"]) == len(cols) for r in t["rows"])
assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata" and t["rows"][0]["object"]["metadata"]["name"] == t["rows"][0]["cells"][0]
PYEOF
curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$WORK/hdr" -o "$WORK/gz" "$BASE/api/v1/pods"
get "/api/v1/pods" > "$WORK/plain"
defer_check "gzip above 128 KiB when asked" "$WORK/hdr" "$WORK/gz" "$WORK/plain" <<'PYEOF'
import gzip, sys
h = open(sys.argv[1]).read().lower()
assert "content-encoding: gzip" in h, h
assert gzip.decompress(open(sys.argv[2], "rb").read()) == open(sys.argv[3], "rb").read()
PYEOF
curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$WORK/hdr2" -o /dev/null "$BASE/api/v1/nodes?limit=1"
if grep -qi 'content-encoding' "$WORK/hdr2"; then fail "no gzip for small bodies"; else ok "no gzip for small bodies"; fi
c=$(code "$BASE/api/v1/bogus")
check "unknown resource: 404 Status" [ "$c" = 404 ]
grep -q '"kind":"Status"' "$WORK/body" || fail "404 body is not a Status"
check "discovery /apis lists apps/v1" bash -c "curl -s '$BASE/apis' | grep -q '\"groupVersion\":\"apps/v1\"'"
check "/version minor 32" bash -c "curl -s '$BASE/version' | grep -q '\"minor\":\"32\"'"

# --- faults ---
post "/_sim/faults?error_code=503&error_count=2&retry_after=3"
c1=$(code -D "$WORK/h1" "$BASE/api/v1/nodes"); c2=$(code "$BASE/api/v1/nodes"); c3=$(code "$BASE/api/v1/nodes")
check "error_code=503 x2 then recovery ($c1 $c2 $c3), Retry-After: 3" bash -c "[ '$c1.$c2.$c3' = '503.503.200' ] && grep -qi '^retry-after: 3' '$WORK/h1'"
post "/_sim/faults?watch_close_events=3"
curl -sN --max-time 10 "$BASE/api/v1/pods?watch=1&timeoutSeconds=5" > "$WORK/close.ndjson"
check "watch_close_events=3 ends the stream after 3 events" [ "$(wc -l < "$WORK/close.ndjson")" = 3 ]
post "/_sim/faults?reset=1&watch_gone_after=2"
curl -sN --max-time 10 "$BASE/api/v1/pods?watch=1&timeoutSeconds=5" > "$WORK/gone.ndjson"
check "watch_gone_after=2: two events then ERROR 410" bash -c "[ \$(wc -l < '$WORK/gone.ndjson') = 3 ] && tail -1 '$WORK/gone.ndjson' | grep -q '\"code\":410'"
post "/_sim/faults?reset=1&watch_malformed_after=1"
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&timeoutSeconds=1" > "$WORK/bad.ndjson"
defer_check "watch_malformed_after=1: exactly one line is not JSON" "$WORK/bad.ndjson" <<'PYEOF'
import json, sys
bad = 0
for l in open(sys.argv[1]):
    try: json.loads(l)
    except ValueError: bad += 1
assert bad == 1, bad
PYEOF
post "/_sim/faults?reset=1&watch_truncate_after=1"
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&timeoutSeconds=2" > "$WORK/trunc.ndjson"; rc=$?
check "watch_truncate_after=1: one event, half an event, broken connection (curl rc $rc)" bash -c "[ $rc -ne 0 ] && [ \$(wc -l < '$WORK/trunc.ndjson') = 1 ] && [ -s '$WORK/trunc.ndjson' ]"
post "/_sim/faults?reset=1&watch_gone_start=1"
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&timeoutSeconds=2" > "$WORK/gs.ndjson"
check "watch_gone_start=1: 200 + single ERROR 410" bash -c "[ \$(wc -l < '$WORK/gs.ndjson') = 1 ] && grep -q '\"type\":\"ERROR\"' '$WORK/gs.ndjson'"
post "/_sim/faults?reset=1&stall_ms=700&stall_count=1"
t0=$(date +%s%N); get /api/v1/namespaces > /dev/null; t1=$(date +%s%N)
check "stall_ms=700 delays the next request" [ $(((t1 - t0) / 1000000)) -ge 650 ]
post "/_sim/faults?reset=1&list_cut=1"
curl -s --max-time 10 -o "$WORK/cut.json" "$BASE/api/v1/pods"; rc=$?
full=$(curl -s --max-time 10 "$BASE/api/v1/pods" | wc -c); got=$(wc -c < "$WORK/cut.json")
check "list_cut=1: half a LIST body then a broken connection (curl rc $rc, $got of $full bytes), then whole" \
  bash -c "[ $rc -ne 0 ] && [ $got -gt 0 ] && [ $got -lt $full ]"
post "/_sim/faults?reset=1&gzip_corrupt=2"
curl -s --max-time 10 --compressed -o /dev/null "$BASE/api/v1/pods"; g1=$?
curl -s --max-time 10 --compressed -o /dev/null "$BASE/api/v1/pods"; g2=$?
curl -s --max-time 10 --compressed -o /dev/null "$BASE/api/v1/pods"; g3=$?
check "gzip_corrupt=2: two gzip LISTs fail to inflate (curl rc $g1 $g2), the third is fine ($g3)" \
  bash -c "[ $g1 -ne 0 ] && [ $g2 -ne 0 ] && [ $g3 = 0 ]"
post "/_sim/faults?reset=1&list_not_a_list=1"
k1=$(curl -s --max-time 10 "$BASE/apis/apps/v1/deployments" | grep -o '^{"kind":"[A-Za-z]*"')
k2=$(curl -s --max-time 10 "$BASE/apis/apps/v1/deployments" | grep -o '^{"kind":"[A-Za-z]*"')
check "list_not_a_list=1: one LIST answers the group-version's discovery ($k1), the next the list ($k2)" \
  bash -c "[ '$k1' = '{\"kind\":\"APIResourceList\"' ] && [ '$k2' = '{\"kind\":\"DeploymentList\"' ]"
post "/_sim/faults?reset=1"
# restart: open watches are cut, requests during down_ms are refused, then all is served;
# rv_jump + compact: the RV moves on and a watch from the old RV gets 410.
RV0=$(curl -s "$BASE/api/v1/nodes?limit=1" | grep -o '"resourceVersion":"[0-9]*"' | head -1 | cut -d'"' -f4)
curl -sN --max-time 10 "$BASE/api/v1/nodes?watch=1&resourceVersion=$RV0&timeoutSeconds=8" > /dev/null & W=$!
sleep 0.5
t0=$(date +%s%N)
post "/_sim/restart?down_ms=800&rv_jump=1000&compact=1"
wait $W; wrc=$?; t1=$(date +%s%N)
curl -s --max-time 5 -o /dev/null "$BASE/api/v1/nodes"; drc=$?
sleep 1
RV1=$(curl -s "$BASE/api/v1/nodes?limit=1" | grep -o '"resourceVersion":"[0-9]*"' | head -1 | cut -d'"' -f4)
check "restart cuts an open watch at once (curl rc $wrc, $(((t1 - t0) / 1000000)) ms)" \
  bash -c "[ $wrc -ne 0 ] && [ $(((t1 - t0) / 1000000)) -lt 3000 ]"
check "restart: a request while down gets no answer (curl rc $drc)" [ "$drc" -ne 0 ]
check "restart rv_jump=1000: resourceVersion $RV0 -> $RV1" [ "$RV1" -ge $((RV0 + 1000)) ]
curl -sN --max-time 5 "$BASE/api/v1/nodes?watch=1&resourceVersion=$RV0&timeoutSeconds=2" > "$WORK/rj.ndjson"
check "restart compact=1: a watch from the old RV gets ERROR 410" grep -q '"code":410' "$WORK/rj.ndjson"
check "/_sim/stats counts restarts" bash -c "curl -s '$BASE/_sim/stats' | grep -q '\"restarts\":1'"
post "/_sim/faults?reset=1"
check "/_sim/stats reports counters" bash -c "curl -s '$BASE/_sim/stats' | grep -q '\"faultsInjected\"'"

run_deferred

# --- clean shutdown on SIGTERM ---
kill -TERM "$APISIM_PID"
for _ in $(seq 50); do kill -0 "$APISIM_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APISIM_PID" 2>/dev/null; then fail "apisim did not exit on SIGTERM"; else
  wait "$APISIM_PID"; rc=$?; APISIM_PID=
  check "SIGTERM: clean exit (rc $rc)" [ "$rc" = 0 ]
fi

# --- same flags + seed => byte-identical objects; resource=all holds every kind ---
rm -f "$WORK/out"
start_apisim --nodes 20 --pods-per-node 12 --namespaces 4 --seed 3 --bookmark-interval 1
get "/_sim/objects?resource=pods" > "$WORK/again.ndjson"
check "deterministic: a restart with the same seed serves identical pods" cmp -s "$WORK/truth.ndjson" "$WORK/again.ndjson"
kinds=$(get "/_sim/objects?resource=all" | grep -o '^{"kind":"[A-Za-z]*"' | sort -u | wc -l)
check "resource=all returns every populated kind ($kinds kinds)" [ "$kinds" -ge 9 ]
finish
