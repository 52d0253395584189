#!/bin/bash
# Regenerate tests/golden/{node,pod}/*.prom with the independent KSM model in this directory.
# Needs Go >= 1.19 (standard library only). Usage: model/regen.sh [node|pod]...
# Review every diff by hand: the .prom files, not this model, are the reference.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
golden=$(dirname "$here")
tsv=${KSM_TSV:-$golden/model/ksm-catalogue.tsv}
bin=$(mktemp -d)/ksm-model
(cd "$here" && go build -o "$bin" .)
kinds=("$@"); [ ${#kinds[@]} -eq 0 ] && kinds=(node pod)
for kind in "${kinds[@]}"; do
  cd "$golden/$kind"
  for j in *.json; do
    c=${j%.json}
    args=()
    [ -f "$c.args" ] && mapfile -t args < "$c.args"
    "$bin" "$tsv" "${kind}s" "$j" "${args[@]}" > "$c.prom"
  done
done
