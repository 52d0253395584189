#!/bin/sh
# Same specs, same bytes: `ksmc-gen schema` (text and JSON), `docs` and `rbac` on the real
# specs/ twice, and with the spec files given in another order, must be byte-identical;
# the JSON must read back to itself; and specs/ diffed against its own dump has no change.
# usage: determinism.sh KSMC_GEN   (run from the repository root)
set -eu
gen=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$gen" schema specs >"$tmp/a.txt"
"$gen" schema specs >"$tmp/b.txt"
cmp "$tmp/a.txt" "$tmp/b.txt" || fail "schema text differs between two runs"
"$gen" schema --format json specs >"$tmp/a.json"
"$gen" schema --format json specs >"$tmp/b.json"
cmp "$tmp/a.json" "$tmp/b.json" || fail "schema json differs between two runs"
# shellcheck disable=SC2046
"$gen" schema --format json $(ls specs/*.yaml specs/custom/*.yaml | sort -r) >"$tmp/c.json"
cmp "$tmp/a.json" "$tmp/c.json" || fail "schema json depends on the order of the inputs"
"$gen" schema --format json "$tmp/a.json" >"$tmp/d.json"
cmp "$tmp/a.json" "$tmp/d.json" || fail "schema json does not read back to itself"
"$gen" schema "$tmp/a.json" >"$tmp/d.txt"
cmp "$tmp/a.txt" "$tmp/d.txt" || fail "schema text from json differs from schema text from specs"
out=$("$gen" diff specs "$tmp/a.json") || fail "diff of specs against their own dump failed"
[ "$out" = "no metric changes" ] || fail "diff of specs against their own dump: $out"

"$gen" docs --out "$tmp/docs1" specs
"$gen" docs --out "$tmp/docs2" specs
diff -r "$tmp/docs1" "$tmp/docs2" || fail "docs differ between two runs"
"$gen" rbac specs >"$tmp/r1.yaml"
"$gen" rbac --out "$tmp/r2.yaml" specs
cmp "$tmp/r1.yaml" "$tmp/r2.yaml" || fail "rbac differs between two runs"
echo "ok: schema, docs and rbac are deterministic"
