#!/usr/bin/env python3
"""Derives schema/k8s.schema, the field schema ksmc-gen checks spec paths against.

Input: the Kubernetes API round-trip objects in shared/k8s-api-fields/ (every field of a
type populated with filler values). Their shape tells field names and JSON types; the
filler conventions tell the rest:
  - a map is an object whose only key is "<field>Key" (e.g. labels: {"labelsKey": ...});
  - a quantity is a string map value or field whose filler is "0";
  - a timestamp is a string filled with an RFC3339 time.
Usage: tools/schema/derive.py ../shared/k8s-api-fields > schema/k8s.schema
Run by hand when the API reference data changes; the output is committed and reviewed.
"""
import json
import os
import re
import sys

# Fields the filler objects leave null; their types from the Kubernetes API reference.
OVERRIDES = {".status.disruptedPods{}": "timestamp"}

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def scalar_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        if TS.match(v):
            return "timestamp"
        if v == "0":
            return "quantity"
        return "string"
    return "null"


def is_map(name, v):
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)) == name + "Key"


def walk(out, path, name, v):
    if is_map(name, v):
        out.append((path, "map"))
        walk(out, path + "{}", name, next(iter(v.values())))
    elif isinstance(v, dict):
        out.append((path, "object"))
        for k, sub in v.items():
            walk(out, path + "." + k, k, sub)
    elif isinstance(v, list):
        out.append((path, "array"))
        if v:
            walk(out, path + "[]", name, v[0])
    else:
        out.append((path, OVERRIDES.get(path) or scalar_type(v)))


def main():
    src = sys.argv[1]
    print("# Field schema of Kubernetes objects, derived by tools/schema/derive.py from the")
    print("# Kubernetes API round-trip test objects. One line per path: <path> <type>.")
    print("# Types: string int number bool timestamp quantity object array map;")
    print("# `[]` is an array element, `{}` a map value. DO NOT EDIT: re-derive.")
    for fname in sorted(os.listdir(src)):
        if not fname.endswith(".json"):
            continue
        obj = json.load(open(os.path.join(src, fname)))
        group_version = fname[: -len(".json")].rsplit(".", 1)[0]
        print()
        print("kind %s %s" % (obj["kind"], group_version))
        out = []
        for k, v in obj.items():
            if k in ("kind", "apiVersion"):
                continue
            walk(out, "." + k, k, v)
        for path, typ in out:
            print("%s %s" % (path, typ))


main()
