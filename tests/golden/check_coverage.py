#!/usr/bin/env python3
"""Sanity and coverage checker for the golden cases (no ksmc involved).

For every tests/golden/{node,pod}/<case>.prom it checks:
  * a <case>.json exists (and every .json has a .prom);
  * the file is empty, or every line ends with "\n", there are no blank lines and no "# EOF";
  * HELP/TYPE lines match shared/ksm-catalogue.tsv byte for byte and appear in TSV order,
    each family exactly once, opt-in families only when the case's .args opt in;
  * every sample belongs to the family whose header precedes it and starts with the
    resource's default labels in the TSV order.
Then it verifies that every TSV family of `nodes` and `pods` has at least one sample in
some case, and that there are at least 3 `exact-` cases per kind.

Usage: check_coverage.py [--tsv PATH] [--table]   (--table prints the README coverage table)
"""
import argparse
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TSV = os.path.join(HERE, "model", "ksm-catalogue.tsv")
KINDS = {"node": ("nodes", ['node']), "pod": ("pods", ['namespace', 'pod', 'uid'])}


def load_tsv(path):
    fams = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            fams.setdefault(row["resource"], []).append(row)
    return fams


def opted_in(args_lines, name):
    for a in args_lines:
        if a == "--all-families":
            return True
        if a.startswith("--metric-opt-in-list="):
            for pat in a.split("=", 1)[1].split(","):
                if pat and re.search(pat, name):
                    return True
    return False


def check_case(kind, case, rows, errors):
    d = os.path.join(HERE, kind)
    resource, defaults = KINDS[kind]
    data = open(os.path.join(d, case + ".prom"), "rb").read()
    args = []
    if os.path.exists(os.path.join(d, case + ".args")):
        args = [l for l in open(os.path.join(d, case + ".args"), encoding="utf-8").read().split("\n") if l]
    samples = collections.Counter()
    if not data:
        return samples
    if not data.endswith(b"\n"):
        errors.append(f"{kind}/{case}: missing final newline")
    lines = data[:-1].split(b"\n")
    expected = [r for r in rows if r["default_enabled"] != "no:opt-in" or opted_in(args, r["metric"])]
    idx = -1
    cur = None
    i = 0
    prefix = ",".join(f'{k}="' for k in defaults[:1])
    while i < len(lines):
        line = lines[i]
        if line == b"":
            errors.append(f"{kind}/{case}:{i+1}: blank line")
        elif line.startswith(b"# HELP "):
            idx += 1
            if idx >= len(expected):
                errors.append(f"{kind}/{case}:{i+1}: unexpected extra family header")
                return samples
            r = expected[idx]
            cur = r["metric"]
            want_help = f"# HELP {cur} {r['help']}".encode()
            want_type = f"# TYPE {cur} {r['type']}".encode()
            if line != want_help:
                errors.append(f"{kind}/{case}:{i+1}: HELP mismatch for {cur}")
            if i + 1 >= len(lines) or lines[i + 1] != want_type:
                errors.append(f"{kind}/{case}:{i+2}: TYPE mismatch for {cur}")
            i += 1
        elif line.startswith(b"#"):
            errors.append(f"{kind}/{case}:{i+1}: unexpected comment line")
        else:
            if cur is None or not line.startswith(cur.encode() + b"{"):
                errors.append(f"{kind}/{case}:{i+1}: sample outside its family: {line[:60]!r}")
            else:
                first = defaults[0].encode() + b'="'
                if not line[len(cur) + 1:].startswith(first):
                    errors.append(f"{kind}/{case}:{i+1}: default labels must come first")
                samples[cur] += 1
        i += 1
    if idx + 1 != len(expected):
        errors.append(f"{kind}/{case}: {len(expected) - idx - 1} family headers missing")
    return samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tsv", default=DEFAULT_TSV)
    ap.add_argument("--table", action="store_true")
    a = ap.parse_args()
    tsv = load_tsv(a.tsv)
    errors = []
    coverage = {}
    for kind, (resource, _) in KINDS.items():
        rows = tsv[resource]
        d = os.path.join(HERE, kind)
        jsons = {f[:-5] for f in os.listdir(d) if f.endswith(".json")}
        proms = {f[:-5] for f in os.listdir(d) if f.endswith(".prom")}
        for c in sorted(jsons ^ proms):
            errors.append(f"{kind}/{c}: .json and .prom must come in pairs")
        exact = [c for c in proms if c.startswith("exact-")]
        if len(exact) < 3:
            errors.append(f"{kind}: only {len(exact)} exact- cases")
        cov = collections.OrderedDict((r["metric"], []) for r in rows)
        for c in sorted(proms & jsons):
            for fam, n in check_case(kind, c, rows, errors).items():
                cov[fam].append(c)
        for fam, cases in cov.items():
            if not cases:
                errors.append(f"{resource}: family {fam} has no sample in any case")
        coverage[resource] = cov
        print(f"{kind}: {len(proms)} cases ({len(exact)} exact), "
              f"{sum(1 for v in cov.values() if v)}/{len(cov)} families with samples", file=sys.stderr)
    if a.table:
        print("| family | cases with samples |")
        print("|---|---|")
        for resource, cov in coverage.items():
            for fam, cases in cov.items():
                print(f"| `{fam}` | {', '.join(cases)} |")
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    n_ok = 0 if errors else 1
    print(f"{n_ok} passed, {1 - n_ok} failed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
