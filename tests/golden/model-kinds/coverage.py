#!/usr/bin/env python3
"""Coverage of the golden cases of the kinds in model-kinds/: for every kind directory,
each TSV family of its resource must have at least one sample in some .prom, HELP/TYPE
lines must equal the TSV, and there must be at least 3 exact- cases.
usage: coverage.py [--table]   (prints family -> cases with samples)"""
import collections, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.dirname(HERE)
TSV = os.path.join(GOLDEN, "model", "ksm-catalogue.tsv")
KINDS = ["namespace", "replicaset", "daemonset", "statefulset", "service",
         "persistentvolumeclaim", "endpointslice", "deployment", "job", "replicationcontroller",
         "storageclass", "ingress", "ingressclass", "networkpolicy", "lease", "volumeattachment",
         "configmap", "secret", "resourcequota", "endpoints", "limitrange",
         "persistentvolume", "poddisruptionbudget", "certificatesigningrequest",
         "mutatingwebhookconfiguration", "validatingwebhookconfiguration", "cronjob",
         "horizontalpodautoscaler"]
rows = collections.defaultdict(list)
for path in (TSV, os.path.join(HERE, "catalogue-extra.tsv")):
    with open(path, encoding="utf-8") as f:
        hdr = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(hdr, line.rstrip("\n").split("\t")))
            rows[r["resource"]].append(r)
bad = 0
table = "--table" in sys.argv
for kind in KINDS:
    res = (kind if kind == "endpoints" else kind + "es" if kind.endswith("s") else kind[:-1] + "ies" if kind.endswith("y")
           else kind + "s")
    d = os.path.join(GOLDEN, kind)
    cases = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".json"))
    seen = collections.defaultdict(set)
    for c in cases:
        lines = open(os.path.join(d, c + ".prom"), encoding="utf-8").read().split("\n")
        for r in rows[res]:
            h = f"# HELP {r['metric']} {r['help']}"
            if lines != [""] and r["default_enabled"] != "no:opt-in" and h not in lines:
                print(f"{kind}/{c}: missing or wrong HELP for {r['metric']}"); bad += 1
        for l in lines:
            if l and not l.startswith("#"):
                seen[l.split("{", 1)[0]].add(c)
    exact = [c for c in cases if c.startswith("exact-")]
    missing = [r["metric"] for r in rows[res] if not seen[r["metric"]]]
    print(f"{kind}: {len(cases)} cases ({len(exact)} exact), "
          f"{len(rows[res]) - len(missing)}/{len(rows[res])} families with samples")
    if missing or len(exact) < 3:
        print(f"  FAIL: no samples for {missing}" if missing else "  FAIL: < 3 exact cases"); bad += 1
    if table:
        for r in rows[res]:
            print(f"| `{r['metric']}` | {', '.join(sorted(seen[r['metric']]))} |")
sys.exit(1 if bad else 0)
