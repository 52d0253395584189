#!/usr/bin/env bash
# import-crs golden test (see README.md). Run from the repository root.
# usage: check.sh KSMC_GEN KSMC_CRS
set -uo pipefail
GEN=$1
KSMC_CRS=$2
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3-yaml missing (scripts/setup-debian.sh)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# Drops empty-valued labels (CRS omits a label whose path is absent, ksmc writes it
# empty: the same series for Prometheus) and sorts the lines (CRS sorts a family's
# samples by labels, ksmc keeps the object's list and map order).
normalize() {
  python3 -c '
import re, sys
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    out.append(re.sub(r"(?<=[{,])[a-zA-Z_][a-zA-Z0-9_]*=\"\",?", "", line).replace(",}", "}").replace("{}", ""))
sys.stdout.write("".join(sorted(out)))' "$1"
}

for cfg in tests/crs/cases/*.crs.yaml; do
  c=${cfg%.crs.yaml}
  name=$(basename "$c")
  "$GEN" import-crs "$cfg" >"$tmp/$name.yaml" 2>"$tmp/$name.stderr"
  rc=$?
  if [ -f "$c.expected.yaml" ]; then
    [ $rc = 0 ] && cmp -s "$tmp/$name.yaml" "$c.expected.yaml" && ok "$name: import equals $c.expected.yaml" ||
      { bad "$name: import differs from $c.expected.yaml (rc $rc)"; diff -u "$c.expected.yaml" "$tmp/$name.yaml" | head -20; }
  else
    [ $rc = 1 ] && [ ! -s "$tmp/$name.yaml" ] && ok "$name: import fails (exit 1, nothing written)" ||
      bad "$name: import should fail with exit 1 and write nothing (rc $rc)"
  fi
  cmp -s <(grep -v '^ksmc-gen: ' "$tmp/$name.stderr") "$c.stderr" && ok "$name: diagnostics equal $c.stderr" ||
    { bad "$name: diagnostics differ from $c.stderr"; diff -u "$c.stderr" "$tmp/$name.stderr" | head -20; }
  [ -f "$c.json" ] || continue
  python3 tests/crs/crs_model.py "$cfg" "$c.json" >"$tmp/$name.model.prom"
  cmp -s "$tmp/$name.model.prom" "$c.prom" && ok "$name: CRS model reproduces $c.prom" ||
    bad "$name: crs_model.py output differs from the committed $c.prom"
  plural=$(sed -n 's/^  plural: //p' "$c.expected.yaml")
  "$KSMC_CRS" render --resource "$plural" "$c.json" >"$tmp/$name.ksmc.prom" 2>"$tmp/$name.render.err" ||
    { bad "$name: ksmc render failed"; cat "$tmp/$name.render.err"; continue; }
  if cmp -s <(normalize "$c.prom") <(normalize "$tmp/$name.ksmc.prom"); then
    ok "$name: the converted spec renders what CRS serves ($(grep -vc '^#' "$c.prom") samples)"
  else
    bad "$name: the converted spec's output differs from CRS's"
    diff <(normalize "$c.prom") <(normalize "$tmp/$name.ksmc.prom") | head -20
  fi
done
echo "crs_import: $pass passed, $failed failed"
[ $failed = 0 ]
