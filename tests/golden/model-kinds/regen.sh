#!/bin/bash
# Regenerate tests/golden/<kind>/*.prom for the kinds this model covers, with the
# independent Python model ksm_model.py (stdlib only). Usage: model-kinds/regen.sh [kind]...
# Review every diff by hand: the .prom files, not this model, are the reference.
set -euo pipefail
export TZ=UTC # the model reads time.Local as UTC (cronjobs without spec.timeZone)
here=$(cd "$(dirname "$0")" && pwd)
golden=$(dirname "$here")
tsv=${KSM_TSV:-$golden/model/ksm-catalogue.tsv}
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(configmap daemonset resourcequota endpoints limitrange deployment endpointslice ingress ingressclass job lease namespace networkpolicy horizontalpodautoscaler persistentvolume persistentvolumeclaim poddisruptionbudget certificatesigningrequest mutatingwebhookconfiguration validatingwebhookconfiguration replicaset replicationcontroller secret service statefulset storageclass volumeattachment cronjob)
for kind in "${kinds[@]}"; do
  case $kind in endpoints) res=$kind ;; *s) res=${kind}es ;; *[^aeiou]y) res=${kind%y}ies ;; *) res=${kind}s ;; esac
  cd "$golden/$kind"
  for j in *.json; do
    c=${j%.json}
    args=()
    [ -f "$c.args" ] && mapfile -t args < "$c.args"
    python3 "$here/ksm_model.py" "$tsv" "$res" "$j" "${args[@]}" > "$c.prom"
  done
done
