#!/usr/bin/env python3
"""Independent model of kube-state-metrics' CustomResourceStateMetrics (CRS) output.

Written from KSM's pkg/customresourcestate semantics (config.go, registry_factory.go,
custom_resource_metrics.go) as summarised in shared/reference/ksm-architecture-and-users.md,
WITHOUT reading ksmc's specs/, generated/ or import-crs output. Stdlib + PyYAML.

usage: crs_model.py CONFIG.yaml INPUT.json
Prints what KSM serves (text format 0.0.4) for a store holding INPUT's objects under the
CRS config: every family of every resource in config order, HELP/TYPE then the samples
of each object in input order (family-major, like `ksmc render`). Objects are matched to
a resource by apiVersion and kind.

Semantics modelled:
* name: <metricNamePrefix>_<name>; prefix default kube_customresource, "" means none.
* labels: resource commonLabels/labelsFromPath merged with the metric's (metric wins),
  customresource_group/_version/_kind added (reserved), then the per-value labels
  (labelsFromPath relative to each element, labelFromKey, a stateSet's labelName) override
  them; labels print sorted by name; a labelsFromPath that resolves to nothing is omitted.
* label values are Go's fmt %v of the JSON value (floats as strconv 'g' -1).
* samples of one object and family are sorted by their per-value labels (KSM's `less`).
* paths: keys, "[k=v]" (first list element whose k equals v), "k=v" (the map itself when
  its k equals v), decimal list indexes.
* Gauge: a list at path gives one sample per element, a map one per entry (labelFromKey
  carries the key), anything else one sample; the value is valueFrom (relative; the
  element itself without it) through toFloat64; unresolved -> no sample, or 0 with
  nilIsZero; unconvertible -> no sample (KSM logs an error).
* StateSet: a list at path gives one state set per element; the compared value (valueFrom
  or the element) must be a string, else nothing; one sample per `list` entry.
* Info: a list gives one sample per element; a map one sample (plus one per key with
  labelFromKey); nil nothing; value 1.
* toFloat64: numbers; bools 1/0; strings true/yes -> 1, false/no/unknown -> 0 (case
  insensitive), RFC 3339 -> Unix seconds, "N%" -> N/100, quantities, else ParseFloat.
"""
import json
import os
import re
import sys
from decimal import Decimal

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden",
                                "model-kinds"))
from ksm_model import esc, go_float, load_objects, unix, RFC3339  # noqa: E402

QTY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))((?:[eE][+-]?\d+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|)$")
SUFFIX = {"": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
          "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
          "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
          "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
          "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60}


class Unconvertible(Exception):
    pass


def go_v(v):
    """fmt.Sprintf("%v", v) of a decoded JSON value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        f = float(v)
        if f == 0:
            return "0"
        return go_float(f)
    if isinstance(v, str):
        return v
    raise Unconvertible("label of a non-scalar value")


def to_float64(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        low = v.lower()
        if low in ("true", "yes"):
            return 1.0
        if low in ("false", "no", "unknown"):
            return 0.0
        if RFC3339.match(v):
            return float(unix(v))
        if v.endswith("%"):
            try:
                return float(v[:-1]) / 100
            except ValueError:
                raise Unconvertible(v)
        m = QTY.match(v)
        if m:
            num, suf = Decimal(m.group(1)), m.group(2)
            exp = len(suf) > 1 and suf[0] in "eE"
            return float(num * (Decimal(10) ** int(suf[1:]) if exp else SUFFIX[suf]))
        try:
            return float(v)
        except ValueError:
            raise Unconvertible(v)
    raise Unconvertible(repr(v))


def typed_eq(a, want):
    """A [k=v] selector's comparison: numbers and bools typed, else as strings."""
    if isinstance(a, bool):
        return want in ("true", "false") and a == (want == "true")
    if isinstance(a, (int, float)):
        try:
            return float(a) == float(want)
        except ValueError:
            return False
    return isinstance(a, str) and a == want


def get(o, path):
    for part in path or []:
        part = str(part)
        if part.startswith("[") and part.endswith("]"):
            k, _, want = part[1:-1].partition("=")
            found = None
            if isinstance(o, list):
                for e in o:
                    if isinstance(e, dict) and k in e and typed_eq(e[k], want):
                        found = e
                        break
            o = found
        elif isinstance(o, dict):
            if "=" in part:
                k, want = part.split("=", 1)
                o = o if k in o and o[k] == want else None
            else:
                o = o.get(part)
        elif isinstance(o, list):
            try:
                i = int(part)
            except ValueError:
                return None
            o = o[i] if 0 <= i < len(o) else None
        else:
            return None
    return o


def add_path_labels(obj, lfp, out):
    for name in sorted(lfp or {}):
        v = get(obj, lfp[name])
        if v is None:
            continue
        if name.startswith("*"):  # "*": copy a whole map (prefix before the star)
            if isinstance(v, dict):
                for k, x in v.items():
                    out[name[:-1] + k if name.endswith("*") else k] = go_v(x)
            continue
        out[name] = go_v(v)


def less_key(labels):
    return [(k, labels[k]) for k in sorted(labels)]


def gauge_values(g, v):
    out = []

    def one(it, extra):
        got = get(it, g.get("valueFrom"))
        if got is None:
            if not g.get("nilIsZero"):
                return
            val = 0.0
        else:
            try:
                val = to_float64(got)
            except Unconvertible:
                return
        labels = dict(extra)
        add_path_labels(it, g.get("labelsFromPath"), labels)
        out.append((labels, val))

    if isinstance(v, dict):
        for key, it in v.items():
            extra = {g["labelFromKey"]: key} if g.get("labelFromKey") and key else {}
            one(it, extra)
    elif isinstance(v, list):
        for it in v:
            one(it, {})
    else:
        one(v, {})
    return out


def stateset_values(s, v):
    out = []
    for it in (v if isinstance(v, list) else [v]):
        cmp = get(it, s.get("valueFrom"))
        if not isinstance(cmp, str):
            continue
        for entry in s.get("list") or []:
            labels = {s["labelName"]: entry}
            add_path_labels(it, s.get("labelsFromPath"), labels)
            out.append((labels, 1.0 if cmp == entry else 0.0))
    return out


def info_values(i, v):
    out = []

    def one(it):
        if it is None:
            return
        labels = {}
        add_path_labels(it, i.get("labelsFromPath"), labels)
        out.append((labels, 1.0))

    if isinstance(v, list):
        for it in v:
            one(it)
    elif isinstance(v, dict):
        if i.get("labelFromKey"):
            for key in v:
                if key:
                    out.append(({i["labelFromKey"]: key}, 1.0))
        one(v)
    else:
        one(v)
    return out


def family_samples(res, metric, obj):
    each = metric["each"]
    t = each["type"].lower()
    sub = each.get({"gauge": "gauge", "stateset": "stateSet", "info": "info"}[t]) or {}
    v = get(obj, sub.get("path"))
    vals = {"gauge": gauge_values, "stateset": stateset_values, "info": info_values}[t](sub, v)
    vals.sort(key=lambda lv: less_key(lv[0]))
    base = dict(res.get("commonLabels") or {})
    base.update(metric.get("commonLabels") or {})
    gvk = res["groupVersionKind"]
    base["customresource_group"] = gvk["group"]
    base["customresource_version"] = gvk["version"]
    base["customresource_kind"] = gvk["kind"]
    lfp = dict(res.get("labelsFromPath") or {})
    lfp.update(metric.get("labelsFromPath") or {})
    add_path_labels(obj, lfp, base)
    out = []
    for labels, val in vals:
        full = dict(base)
        full.update(labels)
        out.append((full, val))
    return out


def full_name(res, metric):
    prefix = res.get("metricNamePrefix", "kube_customresource")
    if prefix is None:
        prefix = "kube_customresource"
    return f"{prefix}_{metric['name']}" if prefix else metric["name"]


def matches(res, obj):
    gvk = res["groupVersionKind"]
    return obj.get("kind") == gvk["kind"] and \
        obj.get("apiVersion") == f"{gvk['group']}/{gvk['version']}"


def main():
    cfg = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    objs = load_objects(sys.argv[2])
    w = sys.stdout.write
    for res in cfg["spec"]["resources"]:
        mine = [o for o in objs if matches(res, o)]
        if not mine:
            continue
        for metric in res.get("metrics") or []:
            name = full_name(res, metric)
            help_text = (metric.get("help") or "").replace("\\", "\\\\").replace("\n", "\\n")
            w(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n")
            for o in mine:
                for labels, val in family_samples(res, metric, o):
                    ls = ",".join(f'{k}="{esc(labels[k])}"' for k in sorted(labels))
                    w(f"{name}{{{ls}}} {go_float(val)}\n")


if __name__ == "__main__":
    main()
