#!/usr/bin/env bash
# `ksmc render` as a user runs it: stdin, Lists and NDJSON, malformed input reported with
# the file and absolute byte offset while the other objects are still rendered, usage
# errors with exit status 2.
# usage: render_cli.sh KSMC
set -euo pipefail
KSMC=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf '{"metadata":{"name":"a","namespace":"n","uid":"1"}}\n{"metadata":{"name":"b",,"uid":"2"}}\n{"kind":"Node","metadata":{"name":"c","uid":"3"}}\n' >"$tmp/bad.ndjson"
status=0
"$KSMC" render --resource pods "$tmp/bad.ndjson" >"$tmp/out" 2>"$tmp/err" || status=$?
[ "$status" = 1 ] || fail "malformed input: exit $status, want 1"
grep -qx "$tmp/bad.ndjson: byte 76: malformed JSON: expected a string key at byte offset 24 (in the object starting at byte 52)" "$tmp/err" ||
  { cat "$tmp/err" >&2; fail "malformed JSON message"; }
grep -q "byte 89: object is of another kind: object is a Node, not a Pod" "$tmp/err" || fail "wrong kind message"
grep -qx 'kube_pod_info{namespace="n",pod="a",uid="1",host_ip="",pod_ip="",node="",created_by_kind="",created_by_name="",priority_class="",host_network="false"} 1' "$tmp/out" ||
  fail "the good object was not rendered"
echo "ok: malformed objects reported, the others rendered"

printf '{"kind":"PodList","items":[{"metadata":{"name":"x","uid":"9"}},{"metadata":{"name":"y","uid":"8"}}]}' |
  "$KSMC" render --resource pods - >"$tmp/list.out"
[ "$(grep -c '^kube_pod_info' "$tmp/list.out")" = 2 ] || fail "List from stdin"
echo "ok: a List from stdin"

for args in "--resource nope x.json" "--bogus" "render-no-resource.json" \
  "--resource pods --metric-opt-in-list=( x.json" "--resource pods --metric-allowlist=a --metric-denylist=b x.json"; do
  status=0
  # shellcheck disable=SC2086
  "$KSMC" render $args >/dev/null 2>"$tmp/usage" || status=$?
  [ "$status" = 2 ] || fail "'ksmc render $args' exited $status, want 2"
  [ -s "$tmp/usage" ] || fail "no message for 'ksmc render $args'"
done
echo "ok: usage errors exit 2 with a message"
"$KSMC" render --resource pods --metric-opt-in-list='(' x.json >/dev/null 2>"$tmp/usage" || true
grep -q 'invalid regex "(" in --metric-opt-in-list' "$tmp/usage" || fail "a bad opt-in regex is not named"

# The filter flags filter as the exporter's do: opt-in families only when asked for.
pod='{"metadata":{"name":"a","namespace":"n","uid":"1"},"spec":{"containers":[{"name":"c"}]}}'
fams() { echo "$pod" | "$KSMC" render --resource pods "$@" - | grep -c '^# TYPE' || true; }
base=$(fams) all=$(fams --all-families) optin=$(fams --metric-opt-in-list=nodeselectors)
deny=$(fams --metric-denylist=kube_pod_container_.*)
[ "$all" -gt "$base" ] || fail "--all-families adds no family ($all vs $base)"
[ "$optin" = $((base + 1)) ] || fail "one opt-in pattern: $optin families, want $((base + 1))"
[ "$deny" -lt "$base" ] && [ "$deny" -gt 0 ] || fail "--metric-denylist: $deny families of $base"
echo "ok: --all-families, --metric-opt-in-list and --metric-denylist select families like the exporter"
echo "1 passed, 0 failed"
