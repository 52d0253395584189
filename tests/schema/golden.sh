#!/bin/sh
# One golden case of `ksmc-gen diff`: tests/schema/cases/<case>/ holds old/ and new/ spec
# directories, optional `args` (extra diff options), and the expected output of every
# format (expected.txt, expected.md, expected.json), the expected exit status
# (expected.exit) and, when the diff must complain, expected.stderr.
#
# The case is run three ways that must give the same bytes: spec dir vs spec dir, and
# with OLD and NEW first dumped by `ksmc-gen schema --format json` (JSON vs JSON, JSON vs
# dir), so every case also checks the JSON round trip.
#
# usage: golden.sh KSMC_GEN SCHEMA CASE_DIR [--update]   (--update rewrites expected.*)
set -u
gen=$1 schema=$2 dir=$3 update=${4:-}
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
gen=$(abs "$gen")
schema=$(abs "$schema")
cd "$dir" || exit 2
args=""
[ -f args ] && args=$(cat args)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

check() { # check EXPECTED GOT WHAT
  if [ -n "$update" ]; then cp "$2" "$1"; return; fi
  if ! cmp -s "$1" "$2"; then
    echo "FAIL $(basename "$dir"): $3 differs from $1:" >&2
    diff -u "$1" "$2" >&2
    failed=1
  fi
}

for fmt in text markdown json; do
  case $fmt in text) ext=txt ;; markdown) ext=md ;; json) ext=json ;; esac
  # shellcheck disable=SC2086
  "$gen" diff --schema "$schema" --format $fmt $args old new >"$tmp/out.$ext" 2>"$tmp/err"
  echo $? >"$tmp/exit"
  check expected.$ext "$tmp/out.$ext" "--format $fmt output"
  check expected.exit "$tmp/exit" "--format $fmt exit status"
  if [ -f expected.stderr ] || [ -s "$tmp/err" ]; then
    check expected.stderr "$tmp/err" "--format $fmt stderr"
  fi
done

# The same diff from schema JSON files.
if [ "$(cat expected.exit)" != 2 ]; then
  "$gen" schema --schema "$schema" --format json old >"$tmp/old.json" || failed=1
  "$gen" schema --schema "$schema" --format json new >"$tmp/new.json" || failed=1
  for pair in "$tmp/old.json $tmp/new.json" "$tmp/old.json new" "old $tmp/new.json"; do
    # shellcheck disable=SC2086
    "$gen" diff --schema "$schema" $args $pair >"$tmp/json.txt" 2>/dev/null
    echo $? >"$tmp/json.exit"
    if [ -z "$update" ]; then
      check expected.txt "$tmp/json.txt" "diff of $pair"
      check expected.exit "$tmp/json.exit" "exit status of diff of $pair"
    fi
  done
fi
[ $failed = 0 ] && echo "ok $(basename "$dir")"
exit $failed
