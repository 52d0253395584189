#!/usr/bin/env python3
"""Removes from NDJSON objects every key no generated walker reads.

    strip_unread.py GENERATED_KIND_C < in.ndjson > out.ndjson

The keys a kind's walkers dispatch on are the `keys_*` tables of generated/<kind>.c. Any
other key (managedFields, env, probes, volumeMounts, ...) is removed, except inside maps
whose every entry is read (labels, annotations, nodeSelector, resource lists). bench/run
renders the stripped objects to estimate what a skip-scanning generator would cost (the
tokenize+render time of what is read, plus a structural scan of the bytes skipped), and
checks that the rendered output is byte-identical so nothing read was removed."""
import json
import re
import sys

MAPS = {"labels", "annotations", "nodeSelector", "limits", "requests", "overhead",
        "capacity", "allocatable"}


def main():
    src = open(sys.argv[1]).read()
    keys = set()
    for table in re.findall(r"static const ksmc_slice keys_\w+\[\] = \{(.*?)\};", src):
        keys.update(re.findall(r'\{"((?:[^"\\]|\\.)*)", \d+\}', table))
    keys.update({"kind", "apiVersion", "metadata", "spec", "status"})

    def strip(v):
        if isinstance(v, dict):
            return {k: (x if k in MAPS else strip(x)) for k, x in v.items() if k in keys}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    out = sys.stdout
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(strip(json.loads(line)), separators=(",", ":")) + "\n")


main()
