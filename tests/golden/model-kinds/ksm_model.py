#!/usr/bin/env python3
"""Independent model of kube-state-metrics v2.20 exposition for the kinds added after
nodes and pods (namespaces, replicasets, daemonsets, statefulsets, services,
persistentvolumeclaims, endpointslices, replicationcontrollers, storageclasses,
ingressclasses, leases, networkpolicies, volumeattachments, ingresses,
horizontalpodautoscalers).

Written from KSM's internal/store/<kind>.go semantics, shared/ksm-catalogue.tsv and
shared/reference/ksm-exposition.md, WITHOUT reading ksmc's specs/, generated/ or output.
HELP texts, types and family order come from the TSV (catalogue-extra.tsv beside this file
for the kinds the shared TSV has no rows for); every family's samples come from a
hand-written function below. Stdlib only.

usage: ksm_model.py TSV RESOURCE INPUT.json [--metric-labels-allowlist=...]
                    [--metric-annotations-allowlist=...] [--metric-opt-in-list=...]
                    [--all-families]
Prints the expected `ksmc render --resource RESOURCE` output (family-major, objects in
input order). The .prom files are the reference, not this model: review every diff.
"""
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal, ROUND_CEILING, ROUND_FLOOR, localcontext

# ---- Go formatting --------------------------------------------------------------------


def go_float(v):
    """strconv.FormatFloat(v, 'g', -1, 64) with KSM's 1/0/-1 literals."""
    v = float(v)
    if v == 1:
        return "1"
    if v == 0:
        return "0"
    if v == -1:
        return "-1"
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    r = repr(v)  # shortest round-trip digits
    d = Decimal(r)
    sign, digits, exp = d.as_tuple()
    digs = "".join(map(str, digits)).rstrip("0") or "0"
    # decimal point position: value = 0.digs * 10^dp
    dp = len(digits) + exp
    e = dp - 1
    s = "-" if sign else ""
    if e < -4 or e >= 6:
        mant = digs[0] + ("." + digs[1:] if len(digs) > 1 else "")
        return f"{s}{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if dp <= 0:
        return s + "0." + "0" * (-dp) + digs
    if dp >= len(digs):
        return s + digs + "0" * (dp - len(digs))
    return s + digs[:dp] + "." + digs[dp:]


def esc(v):
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def go_bool(b):
    return "true" if b else "false"


# ---- field access with Go zero values -------------------------------------------------


def get(o, *path):
    """Walks dicts; absent or null gives None."""
    for p in path:
        if not isinstance(o, dict):
            return None
        o = o.get(p)
    return o


def s(o, *path):
    v = get(o, *path)
    return "" if v is None else v


def n(o, *path):
    v = get(o, *path)
    return 0 if v is None else v


def lst(o, *path):
    v = get(o, *path)
    return v if isinstance(v, list) else []


ZERO_TIME = -62135596800

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def unix(ts):
    """metav1.Time.Unix() of an RFC 3339 string (None: zero time). Seconds, floor."""
    if ts is None:
        return ZERO_TIME
    m = RFC3339.match(ts)
    if not m:
        raise ValueError("bad time " + ts)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    tz = m.group(8)
    off = 0
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        off = sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    days = (datetime(y, mo, d) - datetime(1970, 1, 1)).days
    return days * 86400 + h * 3600 + mi * 60 + se - off


def nonzero_time(ts):
    return ts is not None and unix(ts) != ZERO_TIME


# ---- resource.Quantity.Value() --------------------------------------------------------

SUFFIX = {"": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
          "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
          "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
          "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
          "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60}
QTY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))((?:[eE][+-]?\d+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|)$")
MAX_INT64 = 2 ** 63 - 1


def quantity_value(q):
    """float64(Quantity.Value()): rounded up to an integer (away from zero), nano-rounded
    on parse, capped at 2^63-1."""
    return float(quantity_int(q))


def quantity_int(q):
    """Quantity.Value() as an exact integer (compare this, not the float: float64 of
    9223372036854775 is 9223372036854776, above MaxMilliValue)."""
    q = str(q)
    m = QTY.match(q)
    if not m:
        raise ValueError("bad quantity " + q)
    num, suf = Decimal(m.group(1)), m.group(2)
    exp = len(suf) > 1 and suf[0] in "eE" and suf != "Ei"  # "E" alone is exa, "Ei" exbi
    amount = num * (Decimal(10) ** int(suf[1:]) if exp else SUFFIX[suf])
    nano = (amount * Decimal(10) ** 9).to_integral_value(
        rounding=ROUND_CEILING if amount >= 0 else ROUND_FLOOR)
    amount = nano / Decimal(10) ** 9
    v = amount.to_integral_value(rounding=ROUND_CEILING if amount >= 0 else ROUND_FLOOR)
    return max(min(int(v), MAX_INT64), -MAX_INT64 - 1)


# ---- allowlists and dynamic labels ----------------------------------------------------


def parse_allow(spec):
    out = {}
    for m in re.finditer(r"([^=,\[\]]+)=\[([^\]]*)\]", spec):
        items = [x.strip() for x in m.group(2).split(",") if x.strip()]
        out[m.group(1).strip()] = items
    return out


def label_name(prefix, key):
    k = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    k = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", k).lower()
    return prefix + "_" + k


def dynamic(prefix, data, allow):
    data = data or {}
    chosen = {}
    if allow and allow[0] == "*":
        chosen = dict(data)
    else:
        for a in allow:
            if "*" in a:
                pre, suf = a.split("*", 1)
                rx = re.compile("^" + re.escape(pre) + ".*" + re.escape(suf) + "$")
                for k, v in data.items():
                    if rx.search(k):
                        chosen[k] = v
            elif a in data:
                chosen[a] = data[a]
    keys, vals, conflicts = [], [], {}
    for k in sorted(chosen, key=lambda x: x.encode()):
        name = label_name(prefix, k)
        if name in conflicts:
            c = conflicts[name]
            if c[0] == 1:
                keys[c[1]] = keys[c[1]] + "_conflict1"
            c[0] += 1
            name = f"{name}_conflict{c[0]}"
        else:
            conflicts[name] = [1, len(keys)]
        keys.append(name)
        vals.append(chosen[k])
    return list(zip(keys, vals))


class Ctx:
    def __init__(self, resource, args):
        self.resource = resource
        self.labels_allow = {}
        self.ann_allow = {}
        self.opt_in = []
        self.all_families = False
        for a in args:
            if a.startswith("--metric-labels-allowlist="):
                self.labels_allow = parse_allow(a.split("=", 1)[1])
            elif a.startswith("--metric-annotations-allowlist="):
                self.ann_allow = parse_allow(a.split("=", 1)[1])
            elif a.startswith("--metric-opt-in-list="):
                self.opt_in = [p for p in a.split("=", 1)[1].split(",") if p]
            elif a == "--all-families":
                self.all_families = True
            else:
                raise SystemExit("unknown arg " + a)

    def allow(self, table):
        return table.get("*", table.get(self.resource, []))


def labels_family(ctx, o):
    allow = ctx.allow(ctx.labels_allow)
    if not allow:
        return []
    return [(dynamic("label", get(o, "metadata", "labels"), allow), 1)]


def annotations_family(ctx, o):
    allow = ctx.allow(ctx.ann_allow)
    if not allow:
        return []
    return [(dynamic("annotation", get(o, "metadata", "annotations"), allow), 1)]


# ---- shared family helpers ------------------------------------------------------------


def created(ctx, o):
    t = get(o, "metadata", "creationTimestamp")
    return [([], unix(t))] if nonzero_time(t) else []


def deleted(ctx, o):
    t = get(o, "metadata", "deletionTimestamp")
    return [([], unix(t))] if nonzero_time(t) else []


def always(*path):
    return lambda ctx, o: [([], n(o, *path))]


def if_set(*path):
    return lambda ctx, o: [([], get(o, *path))] if get(o, *path) is not None else []


def conditions(label_names, conds, name_of=lambda c: [s(c, "type")]):
    """addConditionMetrics: three samples per condition, status true,false,unknown."""
    out = []
    for c in conds:
        st = get(c, "status")
        for lv, want in (("true", "True"), ("false", "False"), ("unknown", "Unknown")):
            out.append((list(zip(label_names, name_of(c) + [lv])), 1 if st == want else 0))
    return out


def owners(with_controller):
    def f(ctx, o):
        refs = lst(o, "metadata", "ownerReferences")
        names = ["owner_kind", "owner_name"] + (["owner_is_controller"] if with_controller else [])
        if not refs:
            return [([(k, "") for k in names], 1)]
        out = []
        for r in refs:
            vals = [s(r, "kind"), s(r, "name")]
            if with_controller:
                vals.append(go_bool(get(r, "controller") is True))
            out.append((list(zip(names, vals)), 1))
        return out
    return f


def phase_states(label, path, phases, skip_empty):
    def f(ctx, o):
        ph = s(o, *path)
        if skip_empty and ph == "":
            return []
        return [([(label, p)], 1 if ph == p else 0) for p in phases]
    return f


# ---- kinds ----------------------------------------------------------------------------

KINDS = {}

KINDS["namespaces"] = (
    lambda o: [("namespace", s(o, "metadata", "name"))],
    {
        "kube_namespace_created": created,
        "kube_namespace_annotations": annotations_family,
        "kube_namespace_labels": labels_family,
        "kube_namespace_status_phase": phase_states("phase", ("status", "phase"),
                                                    ["Active", "Terminating"], False),
        "kube_namespace_status_condition":
            lambda ctx, o: conditions(["condition", "status"], lst(o, "status", "conditions")),
    })

KINDS["replicasets"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("replicaset", s(o, "metadata", "name"))],
    {
        "kube_replicaset_created": created,
        "kube_replicaset_status_replicas": always("status", "replicas"),
        "kube_replicaset_status_fully_labeled_replicas": always("status", "fullyLabeledReplicas"),
        "kube_replicaset_status_ready_replicas": always("status", "readyReplicas"),
        "kube_replicaset_status_terminating_replicas": if_set("status", "terminatingReplicas"),
        "kube_replicaset_status_observed_generation": always("status", "observedGeneration"),
        "kube_replicaset_spec_replicas": if_set("spec", "replicas"),
        "kube_replicaset_metadata_generation": always("metadata", "generation"),
        "kube_replicaset_owner": owners(True),
        "kube_replicaset_annotations": annotations_family,
        "kube_replicaset_labels": labels_family,
    })

KINDS["daemonsets"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("daemonset", s(o, "metadata", "name"))],
    {
        "kube_daemonset_created": created,
        "kube_daemonset_status_current_number_scheduled": always("status", "currentNumberScheduled"),
        "kube_daemonset_status_desired_number_scheduled": always("status", "desiredNumberScheduled"),
        "kube_daemonset_status_number_available": always("status", "numberAvailable"),
        "kube_daemonset_status_number_misscheduled": always("status", "numberMisscheduled"),
        "kube_daemonset_status_number_ready": always("status", "numberReady"),
        "kube_daemonset_status_number_unavailable": always("status", "numberUnavailable"),
        "kube_daemonset_status_observed_generation": always("status", "observedGeneration"),
        "kube_daemonset_status_updated_number_scheduled": always("status", "updatedNumberScheduled"),
        "kube_daemonset_metadata_generation": always("metadata", "generation"),
        "kube_daemonset_deletion_timestamp": deleted,
        "kube_daemonset_annotations": annotations_family,
        "kube_daemonset_labels": labels_family,
    })


def sts_retention(ctx, o):
    p = get(o, "spec", "persistentVolumeClaimRetentionPolicy")
    wd, ws = s(p, "whenDeleted"), s(p, "whenScaled")
    if p is None or (wd == "" and ws == ""):
        return []
    return [([("when_deleted", wd), ("when_scaled", ws)], 1)]


KINDS["statefulsets"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("statefulset", s(o, "metadata", "name"))],
    {
        "kube_statefulset_created": created,
        "kube_statefulset_status_replicas": always("status", "replicas"),
        "kube_statefulset_status_replicas_available": always("status", "availableReplicas"),
        "kube_statefulset_status_replicas_current": always("status", "currentReplicas"),
        "kube_statefulset_status_replicas_ready": always("status", "readyReplicas"),
        "kube_statefulset_status_replicas_updated": always("status", "updatedReplicas"),
        "kube_statefulset_status_observed_generation": always("status", "observedGeneration"),
        "kube_statefulset_replicas": if_set("spec", "replicas"),
        "kube_statefulset_ordinals_start":
            lambda ctx, o: [([], n(o, "spec", "ordinals", "start"))]
            if get(o, "spec", "ordinals") is not None else [],
        "kube_statefulset_metadata_generation": always("metadata", "generation"),
        "kube_statefulset_persistentvolumeclaim_retention_policy": sts_retention,
        "kube_statefulset_annotations": annotations_family,
        "kube_statefulset_labels": labels_family,
        "kube_statefulset_status_current_revision":
            lambda ctx, o: [([("revision", s(o, "status", "currentRevision"))], 1)],
        "kube_statefulset_status_update_revision":
            lambda ctx, o: [([("revision", s(o, "status", "updateRevision"))], 1)],
        "kube_statefulset_deletion_timestamp": deleted,
    })

KINDS["services"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("service", s(o, "metadata", "name")), ("uid", s(o, "metadata", "uid"))],
    {
        "kube_service_info": lambda ctx, o: [([
            ("cluster_ip", s(o, "spec", "clusterIP")),
            ("external_name", s(o, "spec", "externalName")),
            ("load_balancer_ip", s(o, "spec", "loadBalancerIP")),
            ("external_traffic_policy", s(o, "spec", "externalTrafficPolicy"))], 1)],
        "kube_service_created": created,
        "kube_service_spec_type": lambda ctx, o: [([("type", s(o, "spec", "type"))], 1)],
        "kube_service_annotations": annotations_family,
        "kube_service_labels": labels_family,
        "kube_service_spec_external_ip": lambda ctx, o: [
            ([("external_ip", "" if ip is None else ip)], 1) for ip in lst(o, "spec", "externalIPs")],
        "kube_service_status_load_balancer_ingress": lambda ctx, o: [
            ([("ip", s(i, "ip")), ("hostname", s(i, "hostname"))], 1)
            for i in lst(o, "status", "loadBalancer", "ingress")],
        "kube_service_deletion_timestamp": deleted,
    })


def pvc_info(ctx, o):
    ann = get(o, "metadata", "annotations") or {}
    key = "volume.beta.kubernetes.io/storage-class"
    sc = ann[key] if key in ann else s(o, "spec", "storageClassName")
    return [([("storageclass", "" if sc is None else sc),
              ("volumename", s(o, "spec", "volumeName")),
              ("volumemode", s(o, "spec", "volumeMode"))], 1)]


def pvc_storage(ctx, o):
    req = get(o, "spec", "resources", "requests") or {}
    if "storage" not in req:
        return []
    return [([], quantity_value(req["storage"]))]


KINDS["persistentvolumeclaims"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("persistentvolumeclaim", s(o, "metadata", "name"))],
    {
        "kube_persistentvolumeclaim_labels": labels_family,
        "kube_persistentvolumeclaim_annotations": annotations_family,
        "kube_persistentvolumeclaim_info": pvc_info,
        "kube_persistentvolumeclaim_status_phase": phase_states(
            "phase", ("status", "phase"), ["Lost", "Bound", "Pending"], True),
        "kube_persistentvolumeclaim_resource_requests_storage_bytes": pvc_storage,
        "kube_persistentvolumeclaim_access_mode": lambda ctx, o: [
            ([("access_mode", "" if m is None else m)], 1) for m in lst(o, "spec", "accessModes")],
        "kube_persistentvolumeclaim_status_condition":
            lambda ctx, o: conditions(["condition", "status"], lst(o, "status", "conditions")),
        "kube_persistentvolumeclaim_created": created,
        "kube_persistentvolumeclaim_deletion_timestamp": deleted,
    })


def eps_hints(ctx, o):
    out = []
    for ep in lst(o, "endpoints"):
        zones = lst(ep, "hints", "forZones")
        addrs = lst(ep, "addresses")
        if zones and addrs:
            for z in zones:
                out.append(([("address", "" if addrs[0] is None else addrs[0]),
                             ("for_zone", s(z, "name"))], 1))
    return out


def opt_bool(v):
    return "" if v is None else go_bool(v)


def eps_endpoints(ctx, o):
    out = []
    for ep in lst(o, "endpoints"):
        c = get(ep, "conditions")
        base = [("ready", opt_bool(get(c, "ready"))), ("serving", opt_bool(get(c, "serving"))),
                ("hostname", s(ep, "hostname")),
                ("terminating", opt_bool(get(c, "terminating"))),
                ("targetref_kind", s(ep, "targetRef", "kind")),
                ("targetref_name", s(ep, "targetRef", "name")),
                ("targetref_namespace", s(ep, "targetRef", "namespace")),
                ("endpoint_nodename", s(ep, "nodeName")), ("endpoint_zone", s(ep, "zone"))]
        for a in lst(ep, "addresses"):
            out.append((base + [("address", "" if a is None else a)], 1))
    return out


def eps_ports(ctx, o):
    out = []
    for p in lst(o, "ports"):
        port = get(p, "port")
        out.append(([("port_name", s(p, "name")), ("port_protocol", s(p, "protocol")),
                     ("port_number", "" if port is None else str(int(port)))], 1))
    return out


KINDS["endpointslices"] = (
    lambda o: [("endpointslice", s(o, "metadata", "name")),
               ("namespace", s(o, "metadata", "namespace"))],
    {
        "kube_endpointslice_info": lambda ctx, o: [([("addresstype", s(o, "addressType"))], 1)],
        "kube_endpointslice_created": created,
        "kube_endpointslice_endpoints_hints": eps_hints,
        "kube_endpointslice_endpoints": eps_endpoints,
        "kube_endpointslice_ports": eps_ports,
        "kube_endpointslice_annotations": annotations_family,
        "kube_endpointslice_labels": labels_family,
    })

# deployments ------------------------------------------------------------------------

DEPLOY_REASONS = ["ReplicaSetUpdated", "ReplicaSetCreateError", "NewReplicaSetCreated",
                  "FoundNewReplicaSet", "NewReplicaSetAvailable", "ProgressDeadlineExceeded",
                  "DeploymentPaused", "DeploymentResumed", "MinimumReplicasAvailable",
                  "MinimumReplicasUnavailable", ""]


def go_atoi(t):
    """strconv.Atoi on 64-bit: [+-]digits within int64, else None."""
    if not re.fullmatch(r"[+-]?[0-9]+", t):
        return None
    v = int(t)
    return v if -2 ** 63 <= v < 2 ** 63 else None


def scaled_int_or_percent(v, total, round_up):
    """intstr.GetScaledValueFromIntOrPercent; None for Go's error (nil, not a percentage,
    bad number). A JSON number is the int32 IntVal; a string must be '<int>%'."""
    if v is None:
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if -2 ** 31 <= v < 2 ** 31 else None
    if isinstance(v, float):
        return None
    if not v.endswith("%"):
        return None
    p = go_atoi(v[:-1])
    if p is None:
        return None
    f = float(p) * float(total) / 100  # Go: float64(value) * float64(total) / 100
    import math
    return int(math.ceil(f) if round_up else math.floor(f))


def deploy_rolling(field, round_up):
    def f(ctx, o):
        ru = get(o, "spec", "strategy", "rollingUpdate")
        reps = get(o, "spec", "replicas")
        if ru is None or reps is None:
            return []
        v = scaled_int_or_percent(get(ru, field), reps, round_up)
        return [] if v is None else [([], v)]
    return f


def deploy_conditions(ctx, o):
    return conditions(["reason", "condition", "status"], lst(o, "status", "conditions"),
                      lambda c: [s(c, "reason") if s(c, "reason") in DEPLOY_REASONS else "unknown",
                                 s(c, "type")])


KINDS["deployments"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("deployment", s(o, "metadata", "name"))],
    {
        "kube_deployment_owner": owners(False),
        "kube_deployment_created": created,
        "kube_deployment_status_replicas": always("status", "replicas"),
        "kube_deployment_status_replicas_ready": always("status", "readyReplicas"),
        "kube_deployment_status_replicas_available": always("status", "availableReplicas"),
        "kube_deployment_status_replicas_unavailable": always("status", "unavailableReplicas"),
        "kube_deployment_status_replicas_updated": always("status", "updatedReplicas"),
        "kube_deployment_status_terminating_replicas": if_set("status", "terminatingReplicas"),
        "kube_deployment_status_observed_generation": always("status", "observedGeneration"),
        "kube_deployment_status_condition": deploy_conditions,
        "kube_deployment_spec_replicas": if_set("spec", "replicas"),
        "kube_deployment_spec_paused": lambda ctx, o: [([], 1 if get(o, "spec", "paused") else 0)],
        "kube_deployment_spec_strategy_rollingupdate_max_unavailable":
            deploy_rolling("maxUnavailable", False),
        "kube_deployment_spec_strategy_rollingupdate_max_surge": deploy_rolling("maxSurge", True),
        "kube_deployment_metadata_generation": always("metadata", "generation"),
        "kube_deployment_deletion_timestamp": deleted,
        "kube_deployment_annotations": annotations_family,
        "kube_deployment_labels": labels_family,
    })

# jobs ---------------------------------------------------------------------------------

JOB_FAILURE_REASONS = ["BackoffLimitExceeded", "DeadlineExceeded", "Evicted"]


def job_status_failed(ctx, o):
    failed = n(o, "status", "failed")
    if float(failed) == 0:
        return [([], failed)]  # no reason label at all
    out = []
    for c in lst(o, "status", "conditions"):
        if s(c, "type") != "Failed":
            continue
        known = False
        for r in JOB_FAILURE_REASONS:
            hit = s(c, "reason") == r
            known = known or hit
            out.append(([("reason", r)], 1 if hit else 0))
        if not known:
            out.append(([("reason", "")], failed))
    return out


def job_condition(ctype):
    def f(ctx, o):
        cs = [c for c in lst(o, "status", "conditions") if s(c, "type") == ctype]
        return [([(k, v) for k, v in ls if k == "condition"], val)
                for ls, val in conditions(["condition"], cs, lambda c: [])]
    return f


def job_suspended(ctx, o):
    return [([], 1 if s(c, "status") == "True" else 0)
            for c in lst(o, "status", "conditions") if s(c, "type") == "Suspended"]


def ts_if_set(*path):
    return lambda ctx, o: [([], unix(get(o, *path)))] if get(o, *path) is not None else []


KINDS["jobs"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("job_name", s(o, "metadata", "name"))],
    {
        "kube_job_annotations": annotations_family,
        "kube_job_labels": labels_family,
        "kube_job_info": lambda ctx, o: [([], 1)],
        "kube_job_created": created,
        "kube_job_spec_parallelism": if_set("spec", "parallelism"),
        "kube_job_spec_completions": if_set("spec", "completions"),
        "kube_job_spec_active_deadline_seconds": if_set("spec", "activeDeadlineSeconds"),
        "kube_job_status_succeeded": always("status", "succeeded"),
        "kube_job_status_failed": job_status_failed,
        "kube_job_status_active": always("status", "active"),
        "kube_job_status_ready": always("status", "ready"),
        "kube_job_complete": job_condition("Complete"),
        "kube_job_failed": job_condition("Failed"),
        "kube_job_status_start_time": ts_if_set("status", "startTime"),
        "kube_job_status_completion_time": ts_if_set("status", "completionTime"),
        "kube_job_status_suspended": job_suspended,
        "kube_job_owner": owners(True),
    })


def owners_none(ctx, o):
    """Owner families that predate the "" convention: no owners -> all labels "<none>"."""
    refs = lst(o, "metadata", "ownerReferences")
    names = ["owner_kind", "owner_name", "owner_is_controller"]
    if not refs:
        return [([(k, "<none>") for k in names], 1)]
    return [(list(zip(names, [s(r, "kind"), s(r, "name"), go_bool(get(r, "controller") is True)])), 1)
            for r in refs]


KINDS["replicationcontrollers"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("replicationcontroller", s(o, "metadata", "name"))],
    {
        "kube_replicationcontroller_created": created,
        "kube_replicationcontroller_status_replicas": always("status", "replicas"),
        "kube_replicationcontroller_status_fully_labeled_replicas":
            always("status", "fullyLabeledReplicas"),
        "kube_replicationcontroller_status_ready_replicas": always("status", "readyReplicas"),
        "kube_replicationcontroller_status_available_replicas":
            always("status", "availableReplicas"),
        "kube_replicationcontroller_status_observed_generation":
            always("status", "observedGeneration"),
        "kube_replicationcontroller_spec_replicas": if_set("spec", "replicas"),
        "kube_replicationcontroller_metadata_generation": always("metadata", "generation"),
        "kube_replicationcontroller_owner": owners_none,
    })


def all_keys(prefix, *path):
    """mapToPrometheusLabels over every key of a map: always one sample."""
    return lambda ctx, o: [(dynamic(prefix, get(o, *path), ["*"]), 1)]


def opt_str(v, default):
    return default if v is None else v


KINDS["storageclasses"] = (
    lambda o: [("storageclass", s(o, "metadata", "name"))],
    {
        "kube_storageclass_info": lambda ctx, o: [([
            ("provisioner", s(o, "provisioner")),
            ("reclaim_policy", opt_str(get(o, "reclaimPolicy"), "Delete")),
            ("volume_binding_mode", opt_str(get(o, "volumeBindingMode"), "Immediate"))], 1)],
        "kube_storageclass_created": created,
        "kube_storageclass_annotations": annotations_family,
        "kube_storageclass_labels": labels_family,
    })

KINDS["ingressclasses"] = (
    lambda o: [("ingressclass", s(o, "metadata", "name"))],
    {
        "kube_ingressclass_info":
            lambda ctx, o: [([("controller", s(o, "spec", "controller"))], 1)],
        "kube_ingressclass_created": created,
        "kube_ingressclass_annotations": annotations_family,
        "kube_ingressclass_labels": labels_family,
    })

KINDS["networkpolicies"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("networkpolicy", s(o, "metadata", "name"))],
    {
        "kube_networkpolicy_created":
            lambda ctx, o: [([], unix(get(o, "metadata", "creationTimestamp")))],
        "kube_networkpolicy_annotations": annotations_family,
        "kube_networkpolicy_labels": labels_family,
        "kube_networkpolicy_spec_ingress_rules":
            lambda ctx, o: [([], len(lst(o, "spec", "ingress")))],
        "kube_networkpolicy_spec_egress_rules":
            lambda ctx, o: [([], len(lst(o, "spec", "egress")))],
    })


def lease_owner(ctx, o):
    tail = [("namespace", s(o, "metadata", "namespace")),
            ("lease_holder", s(o, "spec", "holderIdentity"))]
    refs = lst(o, "metadata", "ownerReferences")
    if not refs:
        return [([("owner_kind", "<none>"), ("owner_name", "<none>")] + tail, 1)]
    return [([("owner_kind", s(r, "kind")), ("owner_name", s(r, "name"))] + tail, 1) for r in refs]


KINDS["leases"] = (
    lambda o: [("lease", s(o, "metadata", "name"))],
    {
        "kube_lease_owner": lease_owner,
        "kube_lease_renew_time": lambda ctx, o: [([], unix(get(o, "spec", "renewTime")))]
        if nonzero_time(get(o, "spec", "renewTime")) else [],
    })

KINDS["volumeattachments"] = (
    lambda o: [("volumeattachment", s(o, "metadata", "name"))],
    {
        "kube_volumeattachment_labels": all_keys("label", "metadata", "labels"),
        "kube_volumeattachment_info": lambda ctx, o: [([
            ("attacher", s(o, "spec", "attacher")), ("node", s(o, "spec", "nodeName"))], 1)],
        "kube_volumeattachment_created": created,
        "kube_volumeattachment_spec_source_persistentvolume": lambda ctx, o: [
            ([("volumename", get(o, "spec", "source", "persistentVolumeName"))], 1)]
        if get(o, "spec", "source", "persistentVolumeName") is not None else [],
        "kube_volumeattachment_status_attached":
            lambda ctx, o: [([], 1 if get(o, "status", "attached") is True else 0)],
        "kube_volumeattachment_status_attachment_metadata":
            all_keys("metadata", "status", "attachmentMetadata"),
    })


GO_FLOAT = re.compile(r"^[+-]?(?:(?:[0-9]+(?:_[0-9]+)*\.?(?:[0-9]+(?:_[0-9]+)*)?|\.[0-9]+(?:_[0-9]+)*)"
                      r"(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$", re.I)


def go_parse_float(t):
    """strconv.ParseFloat(t, 64): None on error (syntax, or out of range). Decimal forms,
    inf/infinity/nan in any case; no surrounding spaces. Underscores are only legal with
    a base prefix, so any "_" here is a syntax error."""
    if t is None or not GO_FLOAT.match(t) or "_" in t:
        return None
    v = float(t)
    if v in (float("inf"), float("-inf")) and t.lstrip("+-").lower() not in ("inf", "infinity"):
        return None  # ErrRange
    return v


def resource_version(ctx, o):
    v = go_parse_float(s(o, "metadata", "resourceVersion"))
    return [] if v is None else [([], v)]


KINDS["configmaps"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("configmap", s(o, "metadata", "name"))],
    {
        "kube_configmap_annotations": annotations_family,
        "kube_configmap_labels": labels_family,
        "kube_configmap_info": lambda ctx, o: [([], 1)],
        "kube_configmap_created": created,
        "kube_configmap_metadata_resource_version": resource_version,
    })

KINDS["secrets"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("secret", s(o, "metadata", "name"))],
    {
        "kube_secret_info": lambda ctx, o: [([], 1)],
        "kube_secret_type": lambda ctx, o: [([("type", s(o, "type"))], 1)],
        "kube_secret_annotations": annotations_family,
        "kube_secret_labels": labels_family,
        "kube_secret_created": created,
        "kube_secret_metadata_resource_version": resource_version,
        "kube_secret_owner": owners(True),
    })


def quantity_float(q):
    """convertValueToFloat64: float64(MilliValue())/1000, or float64(Value()) when
    Value() > MaxMilliValue ((2^63-1)/1000). MilliValue rounds up away from zero."""
    q = str(q)
    m = QTY.match(q)
    if not m:
        raise ValueError("bad quantity " + q)
    num, suf = Decimal(m.group(1)), m.group(2)
    exp = len(suf) > 1 and suf[0] in "eE" and suf != "Ei"  # "Ei" is exbi, not an exponent
    amount = num * (Decimal(10) ** int(suf[1:]) if exp else SUFFIX[suf])
    nano = (amount * Decimal(10) ** 9).to_integral_value(
        rounding=ROUND_CEILING if amount >= 0 else ROUND_FLOOR)
    amount = nano / Decimal(10) ** 9
    if quantity_int(q) > MAX_INT64 // 1000:
        return quantity_value(q)
    milli = (amount * 1000).to_integral_value(rounding=ROUND_CEILING if amount >= 0 else ROUND_FLOOR)
    return float(int(milli)) / 1000


def quota(ctx, o):
    out = []
    for typ in ("hard", "used"):
        for k, v in (get(o, "status", typ) or {}).items():
            out.append(([("resource", k), ("type", typ)], quantity_float(v)))
    return out


KINDS["resourcequotas"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("resourcequota", s(o, "metadata", "name"))],
    {
        "kube_resourcequota_created": created,
        "kube_resourcequota": quota,
        "kube_resourcequota_annotations": annotations_family,
        "kube_resourcequota_labels": labels_family,
    })

# endpoints (internal/store/endpoint.go) -------------------------------------------------


def ep_port_labels(p):
    """Port labels as KSM writes them: Port is an int32, 0 when absent."""
    port = get(p, "port")
    return s(p, "protocol"), str(int(port) if port is not None else 0), s(p, "name")


def ep_address(ctx, o):
    """Per subset, per port: the ready addresses, then the not-ready ones (KSM's loop)."""
    out = []
    for sub in lst(o, "subsets"):
        for p in lst(sub, "ports"):
            proto, num, name = ep_port_labels(p)
            for field, ready in (("addresses", "true"), ("notReadyAddresses", "false")):
                for a in lst(sub, field):
                    out.append(([("port_protocol", proto), ("port_number", num),
                                 ("port_name", name), ("ip", s(a, "ip")), ("ready", ready)], 1))
    return out


def ep_ports(ctx, o):
    out = []
    for sub in lst(o, "subsets"):
        for p in lst(sub, "ports"):
            proto, num, name = ep_port_labels(p)
            out.append(([("port_name", name), ("port_protocol", proto), ("port_number", num)], 1))
    return out


KINDS["endpoints"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("endpoint", s(o, "metadata", "name"))],
    {
        "kube_endpoint_info": lambda ctx, o: [([], 1)],
        "kube_endpoint_created": created,
        "kube_endpoint_annotations": annotations_family,
        "kube_endpoint_labels": labels_family,
        "kube_endpoint_address": ep_address,
        "kube_endpoint_ports": ep_ports,
    })

# limitranges (internal/store/limitrange.go) ---------------------------------------------

LIMIT_CONSTRAINTS = ["min", "max", "default", "defaultRequest", "maxLimitRequestRatio"]


def limitrange(ctx, o):
    """Per spec.limits[] item: its min, max, default, defaultRequest, maxLimitRequestRatio."""
    out = []
    for item in lst(o, "spec", "limits"):
        for c in LIMIT_CONSTRAINTS:
            for k, v in (get(item, c) or {}).items():
                out.append(([("resource", k), ("type", s(item, "type")), ("constraint", c)],
                            quantity_float(v)))
    return out


KINDS["limitranges"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("limitrange", s(o, "metadata", "name"))],
    {
        "kube_limitrange": limitrange,
        "kube_limitrange_created": created,
    })

# persistentvolumes --------------------------------------------------------------------


def ksm_join(items):
    """KSM's `if len(acc) != 0 { acc += "," }; acc += x` accumulation."""
    acc = ""
    for x in items:
        if len(acc) != 0:
            acc += ","
        acc += "" if x is None else x
    return acc


def pv_info(ctx, o):
    spec = get(o, "spec") or {}
    v = {k: "" for k in ["gce_persistent_disk_name", "ebs_volume_id", "azure_disk_name",
                         "fc_wwids", "fc_lun", "fc_target_wwns", "iscsi_target_portal",
                         "iscsi_iqn", "iscsi_lun", "iscsi_initiator_name", "nfs_server",
                         "nfs_path", "csi_driver", "csi_volume_handle", "local_path", "local_fs",
                         "host_path", "host_path_type"]}
    src = lambda k: get(spec, k) is not None  # noqa: E731
    if src("gcePersistentDisk"):
        v["gce_persistent_disk_name"] = s(spec, "gcePersistentDisk", "pdName")
    elif src("awsElasticBlockStore"):
        v["ebs_volume_id"] = s(spec, "awsElasticBlockStore", "volumeID")
    elif src("azureDisk"):
        v["azure_disk_name"] = s(spec, "azureDisk", "diskName")
    elif src("fc"):
        if get(spec, "fc", "lun") is not None:
            v["fc_lun"] = str(int(get(spec, "fc", "lun")))
        v["fc_target_wwns"] = ksm_join(lst(spec, "fc", "targetWWNs"))
        v["fc_wwids"] = ksm_join(lst(spec, "fc", "wwids"))
    elif src("iscsi"):
        v["iscsi_target_portal"] = s(spec, "iscsi", "targetPortal")
        v["iscsi_iqn"] = s(spec, "iscsi", "iqn")
        v["iscsi_lun"] = str(int(n(spec, "iscsi", "lun")))
        v["iscsi_initiator_name"] = s(spec, "iscsi", "initiatorName")
    elif src("nfs"):
        v["nfs_server"] = s(spec, "nfs", "server")
        v["nfs_path"] = s(spec, "nfs", "path")
    elif src("csi"):
        v["csi_driver"] = s(spec, "csi", "driver")
        v["csi_volume_handle"] = s(spec, "csi", "volumeHandle")
    elif src("local"):
        v["local_path"] = s(spec, "local", "path")
        v["local_fs"] = s(spec, "local", "fsType")
    elif src("hostPath"):
        v["host_path"] = s(spec, "hostPath", "path")
        v["host_path_type"] = s(spec, "hostPath", "type")
    labels = [("storageclass", s(spec, "storageClassName"))] + list(v.items()) + \
        [("reclaim_policy", s(spec, "persistentVolumeReclaimPolicy"))]
    return [(labels, 1)]


def pv_capacity(ctx, o):
    cap = get(o, "spec", "capacity") or {}
    return [([], quantity_value(cap["storage"]) if cap.get("storage") is not None else 0)]


def pv_csi_attributes(ctx, o):
    csi = get(o, "spec", "csi")
    if csi is None:
        return []
    attrs = get(csi, "volumeAttributes") or {}
    return [([("csi_mounter", attrs.get("mounter") or ""),
              ("csi_map_options", attrs.get("mapOptions") or "")], 1)]


KINDS["persistentvolumes"] = (
    lambda o: [("persistentvolume", s(o, "metadata", "name"))],
    {
        "kube_persistentvolume_claim_ref": lambda ctx, o: [
            ([("name", s(o, "spec", "claimRef", "name")),
              ("claim_namespace", s(o, "spec", "claimRef", "namespace"))], 1)]
            if get(o, "spec", "claimRef") is not None else [],
        "kube_persistentvolume_annotations": annotations_family,
        "kube_persistentvolume_labels": labels_family,
        "kube_persistentvolume_status_phase": phase_states(
            "phase", ("status", "phase"), ["Pending", "Available", "Bound", "Released", "Failed"],
            True),
        "kube_persistentvolume_info": pv_info,
        "kube_persistentvolume_capacity_bytes": pv_capacity,
        "kube_persistentvolume_created": created,
        "kube_persistentvolume_deletion_timestamp": deleted,
        "kube_persistentvolume_csi_attributes": pv_csi_attributes,
        "kube_persistentvolume_volume_mode": lambda ctx, o: [
            ([("volumemode", get(o, "spec", "volumeMode")
               if get(o, "spec", "volumeMode") is not None else "Filesystem")], 1)],
        "kube_persistentvolume_access_mode": lambda ctx, o: [
            ([("access_mode", "" if m is None else m)], 1) for m in lst(o, "spec", "accessModes")],
    })

KINDS["poddisruptionbudgets"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("poddisruptionbudget", s(o, "metadata", "name"))],
    {
        "kube_poddisruptionbudget_annotations": annotations_family,
        "kube_poddisruptionbudget_labels": labels_family,
        "kube_poddisruptionbudget_created": created,
        "kube_poddisruptionbudget_status_current_healthy": always("status", "currentHealthy"),
        "kube_poddisruptionbudget_status_desired_healthy": always("status", "desiredHealthy"),
        "kube_poddisruptionbudget_status_pod_disruptions_allowed":
            always("status", "disruptionsAllowed"),
        "kube_poddisruptionbudget_status_expected_pods": always("status", "expectedPods"),
        "kube_poddisruptionbudget_status_observed_generation":
            always("status", "observedGeneration"),
    })

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def go_base64_len(t):
    """len() of a []byte field: encoding/json decodes it with base64.StdEncoding, which
    skips CR and LF and needs '=' padding. None: Go's decode error (KSM drops the whole
    object; the model and ksmc drop only the sample)."""
    t = t.replace("\r", "").replace("\n", "")
    if len(t) % 4:
        return None
    body = t.rstrip("=")
    pad = len(t) - len(body)
    if pad > 2 or any(ch not in B64 for ch in body):
        return None
    if pad and len(body) % 4 == 1:  # "x===" is caught above, "xxxxx=" by % 4
        return None
    return len(t) // 4 * 3 - pad


def csr_conditions(ctx, o):
    """addCSRConditionMetrics: counts of Approved and Denied conditions, always both."""
    types = [get(c, "type") for c in lst(o, "status", "conditions")]
    return [([("condition", "approved")], types.count("Approved")),
            ([("condition", "denied")], types.count("Denied"))]


def csr_cert_length(ctx, o):
    v = get(o, "status", "certificate")
    if v is None:
        return [([], 0)]
    n_ = go_base64_len(v)
    return [] if n_ is None else [([], n_)]


KINDS["certificatesigningrequests"] = (
    lambda o: [("certificatesigningrequest", s(o, "metadata", "name")),
               ("signer_name", s(o, "spec", "signerName"))],
    {
        "kube_certificatesigningrequest_annotations": annotations_family,
        "kube_certificatesigningrequest_labels": labels_family,
        "kube_certificatesigningrequest_created": created,
        "kube_certificatesigningrequest_condition": csr_conditions,
        "kube_certificatesigningrequest_cert_length": csr_cert_length,
    })


def webhook_services(ctx, o):
    """One sample per webhook; service name/namespace "" when clientConfig has no service."""
    out = []
    for w in lst(o, "webhooks"):
        svc = get(w, "clientConfig", "service")
        out.append(([("webhook_name", s(w, "name")), ("service_name", s(svc, "name")),
                     ("service_namespace", s(svc, "namespace"))], 1))
    return out


for _kind in ("mutatingwebhookconfiguration", "validatingwebhookconfiguration"):
    KINDS[_kind + "s"] = (
        (lambda k: lambda o: [("namespace", s(o, "metadata", "namespace")),
                              (k, s(o, "metadata", "name"))])(_kind),
        {
            f"kube_{_kind}_info": lambda ctx, o: [([], 1)],
            f"kube_{_kind}_created": created,
            f"kube_{_kind}_metadata_resource_version": resource_version,
            f"kube_{_kind}_webhook_clientconfig_service": webhook_services,
        })


# cronjobs -------------------------------------------------------------------------------
# kube_cronjob_next_schedule_time: KSM's getNextScheduledTime = go-cron ParseStandard of
# "CRON_TZ=<tz> <schedule>" (or the bare schedule) and SpecSchedule.Next / ConstantDelay
# Next (robfig/cron v3 semantics, kept by netresearch/go-cron). Written here from go-cron's
# documented rules and Go's time package behaviour with Python's zoneinfo for the zone
# data; it does not share code or structure with runtime/core/ksmc_cron.c. The local zone
# (time.Local, a schedule without CRON_TZ) is UTC: the golden tests run with TZ=UTC.

class CronError(Exception):
    pass


GO_SPACES = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200b)}


def go_fields(text):
    """strings.Fields: split on unicode.IsSpace runs."""
    out, cur = [], []
    for ch in text:
        if ch in GO_SPACES:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def go_trim_space(text):
    a, b = 0, len(text)
    while a < b and text[a] in GO_SPACES:
        a += 1
    while b > a and text[b - 1] in GO_SPACES:
        b -= 1
    return text[a:b]


class Zone:
    """A Go *time.Location: None for UTC, else a zoneinfo key."""

    def __init__(self, key):
        from zoneinfo import ZoneInfo
        self.tz = ZoneInfo(key)

    def offset(self, t):
        """Seconds east of UTC at Unix time t."""
        d = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=t)
        return int(d.astimezone(self.tz).utcoffset().total_seconds())


def load_location(name):
    """time.LoadLocation; UTC is None."""
    if name in ("", "UTC", "Local"):  # Local: the golden tests' TZ=UTC
        return None
    if ".." in name or name[0] in "/\\" or "\x00" in name:
        raise CronError("time: invalid location name")
    try:
        return Zone(name)
    except Exception as e:  # ZoneInfoNotFoundError, IsADirectoryError, ValueError
        raise CronError("unknown time zone " + name) from e


MIN_DATE = datetime(1, 1, 1, tzinfo=timezone.utc)


def zone_offset(loc, t):
    return 0 if loc is None else loc.offset(t)


def civil(loc, t):
    """(year, month, day, hour, minute, second, weekday Sunday=0) of t in loc."""
    d = datetime(1970, 1, 1) + timedelta(seconds=t + zone_offset(loc, t))
    return d.year, d.month, d.day, d.hour, d.minute, d.second, (d.weekday() + 1) % 7


def go_date(loc, y, mo, d, h, mi, sec):
    """time.Date(...).Unix(): fields carry over; a wall time in a DST gap or overlap takes
    the offset in force at (wall time read as UTC - that offset), as Go's Date does."""
    y += (mo - 1) // 12
    mo = (mo - 1) % 12 + 1
    wall = int((datetime(y, mo, 1) - datetime(1970, 1, 1)).total_seconds()) + \
        (d - 1) * 86400 + h * 3600 + mi * 60 + sec
    off = zone_offset(loc, wall)
    if off == 0:
        return wall
    return wall - zone_offset(loc, wall - off)


def cron_atoi(text):
    """go-cron's mustParseInt: strconv.Atoi, then no negatives (raises CronError)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError("failed to parse int from " + text)
    v = int(text)
    if v > 2 ** 63 - 1 or v < -2 ** 63:
        raise CronError("failed to parse int from " + text)
    if v < 0:
        raise CronError("negative number")
    return v


MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
DOWS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
STAR = 1 << 63


def cron_range(expr, lo, hi, names):
    parts = expr.split("/")
    ends = parts[0].split("-")
    star = 0
    if ends[0] in ("*", "?"):
        first, last, star = lo, hi, STAR
    else:
        def num(t):
            if names and t.lower() in names:
                return names[t.lower()]
            return cron_atoi(t)
        first = num(ends[0])
        if len(ends) == 1:
            last = first
        elif len(ends) == 2:
            last = num(ends[1])
        else:
            raise CronError("too many hyphens")
    if len(parts) == 1:
        step = 1
    elif len(parts) == 2:
        step = cron_atoi(parts[1])
        if len(ends) == 1:
            last = hi
        if step > 1:
            star = 0
    else:
        raise CronError("too many slashes")
    if first < lo or last > hi or first > last or step == 0:
        raise CronError("bad range " + expr)
    bits = 0
    for v in range(first, last + 1, step):
        bits |= 1 << v
    return bits | star


def cron_field(text, lo, hi, names=None):
    bits = 0
    for piece in text.split(","):
        if piece:
            bits |= cron_range(piece, lo, hi, names)
    return bits


def go_duration_seconds(text):
    """time.ParseDuration, then go-cron's Every: at least 1s, whole seconds."""
    m = re.fullmatch(r"([-+]?)((?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|\xb5s|\u03bcs|ms|s|m|h))+|0)",
                     text)
    if not m:
        raise CronError("failed to parse duration")
    units = {"ns": 1, "us": 10 ** 3, "\xb5s": 10 ** 3, "\u03bcs": 10 ** 3, "ms": 10 ** 6,
             "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}
    total = 0
    for num, unit in re.findall(r"([0-9]*\.?[0-9]*)(ns|us|\xb5s|\u03bcs|ms|s|m|h)", m.group(2)):
        whole, _, frac = num.partition(".")
        v = int(whole or "0") * units[unit]
        if frac:
            v += int(Decimal(int(frac)) * units[unit] / Decimal(10) ** len(frac))
        total += v
    if total > 2 ** 63 - (0 if m.group(1) == "-" else 1):
        raise CronError("failed to parse duration")
    ns = -total if m.group(1) == "-" else total
    return max(ns, 10 ** 9) // 10 ** 9


def cron_parse(spec):
    """go-cron ParseStandard: ('every', seconds) or ('spec', fields dict, location)."""
    if spec == "":
        raise CronError("empty spec string")
    loc = None  # time.Local: UTC here
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        if " " not in spec:
            raise CronError("no schedule after the time zone")  # go-cron slices out of range
        i = spec.index(" ")
        loc = load_location(spec[spec.index("=") + 1:i])
        spec = go_trim_space(spec[i:])
    if spec.startswith("@"):
        every = 0
        if spec in ("@yearly", "@annually"):
            f = ["0", "0", "1", "1", "*"]
        elif spec == "@monthly":
            f = ["0", "0", "1", "*", "*"]
        elif spec == "@weekly":
            f = ["0", "0", "*", "*", "0"]
        elif spec in ("@daily", "@midnight"):
            f = ["0", "0", "*", "*", "*"]
        elif spec == "@hourly":
            f = ["0", "*", "*", "*", "*"]
        elif spec.startswith("@every "):
            return ("every", go_duration_seconds(spec[len("@every "):]))
        else:
            raise CronError("unrecognized descriptor")
    else:
        f = go_fields(spec)
        if len(f) != 5:
            raise CronError("expected exactly 5 fields")
    return ("spec", {"sec": 1, "min": cron_field(f[0], 0, 59), "hour": cron_field(f[1], 0, 23),
                     "dom": cron_field(f[2], 1, 31), "month": cron_field(f[3], 1, 12, MONTHS),
                     "dow": cron_field(f[4], 0, 6, DOWS)}, loc)


def cron_next(parsed, t):
    """SpecSchedule.Next(t) in Unix seconds (t whole seconds); the zero time's Unix value
    when nothing matches within five years."""
    if parsed[0] == "every":
        return t + parsed[1]
    _, f, loc = parsed
    has = lambda set_, v: (set_ >> v) & 1 == 1

    def day_ok(c):
        d, w = has(f["dom"], c[2]), has(f["dow"], c[6])
        if f["dom"] & STAR or f["dow"] & STAR:
            return d and w
        return d or w

    t += 1
    added = False
    limit = civil(loc, t)[0] + 5
    while True:  # one pass per WRAP
        c = civil(loc, t)
        if c[0] > limit:
            return ZERO_TIME
        wrapped = False
        while not has(f["month"], c[1]):
            if not added:
                added = True
                t = go_date(loc, c[0], c[1], 1, 0, 0, 0)
                c = civil(loc, t)
            t = go_date(loc, c[0], c[1] + 1, c[2], c[3], c[4], c[5])
            c = civil(loc, t)
            if c[1] == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not day_ok(c):
            if not added:
                added = True
                t = go_date(loc, c[0], c[1], c[2], 0, 0, 0)
                c = civil(loc, t)
            t = go_date(loc, c[0], c[1], c[2] + 1, c[3], c[4], c[5])
            c = civil(loc, t)
            if c[3] != 0:  # midnight moved by DST
                t += (24 - c[3]) * 3600 if c[3] > 12 else -c[3] * 3600
                c = civil(loc, t)
            if c[2] == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not has(f["hour"], c[3]):
            if not added:
                added = True
                t = go_date(loc, c[0], c[1], c[2], c[3], 0, 0)
            t += 3600
            c = civil(loc, t)
            if c[3] == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not has(f["min"], c[4]):
            if not added:
                added = True
                t -= t % 60
            t += 60
            c = civil(loc, t)
            if c[4] == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not has(f["sec"], c[5]):
            added = True
            t += 1
            c = civil(loc, t)
            if c[5] == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t


def cronjob_spec_string(o):
    sched = s(o, "spec", "schedule")
    tz = get(o, "spec", "timeZone")
    return sched if tz is None else f"CRON_TZ={tz} {sched}"


def cronjob_parsed(o):
    try:
        return cron_parse(cronjob_spec_string(o))
    except CronError:
        return None


def cronjob_next(ctx, o):
    parsed = cronjob_parsed(o)
    if parsed is None or get(o, "spec", "suspend") is True:
        return []
    last, created_ = get(o, "status", "lastScheduleTime"), get(o, "metadata", "creationTimestamp")
    if nonzero_time(last):
        base = unix(last)
    elif nonzero_time(created_):
        base = unix(created_)
    else:
        return []  # "createdTime and lastScheduleTime are both zero"
    return [([], cron_next(parsed, base))]


KINDS["cronjobs"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("cronjob", s(o, "metadata", "name"))],
    {
        "kube_cronjob_annotations": annotations_family,
        "kube_cronjob_labels": labels_family,
        "kube_cronjob_info": lambda ctx, o: [
            ([("schedule", s(o, "spec", "schedule")),
              ("concurrency_policy", s(o, "spec", "concurrencyPolicy")),
              ("timezone", get(o, "spec", "timeZone") if get(o, "spec", "timeZone") is not None
               else "local")], 1)],
        "kube_cronjob_created": created,
        "kube_cronjob_status_active": lambda ctx, o: [([], len(lst(o, "status", "active")))],
        "kube_cronjob_status_last_schedule_time": ts_if_set("status", "lastScheduleTime"),
        "kube_cronjob_status_last_successful_time": ts_if_set("status", "lastSuccessfulTime"),
        "kube_cronjob_spec_suspend": lambda ctx, o: [
            ([], 1 if get(o, "spec", "suspend") is True else 0)],
        "kube_cronjob_spec_starting_deadline_seconds": if_set("spec", "startingDeadlineSeconds"),
        "kube_cronjob_next_schedule_time": cronjob_next,
        "kube_cronjob_schedule_invalid": lambda ctx, o: [([], 1)] if cronjob_parsed(o) is None
        else [],
        "kube_cronjob_metadata_resource_version": resource_version,
        "kube_cronjob_spec_successful_job_history_limit": if_set(
            "spec", "successfulJobsHistoryLimit"),
        "kube_cronjob_spec_failed_job_history_limit": if_set("spec", "failedJobsHistoryLimit"),
    })

# ingresses (internal/store/ingress.go) --------------------------------------------------


def ingress_info(ctx, o):
    """ingressclass: the kubernetes.io/ingress.class annotation if the key exists, else
    *spec.ingressClassName if the pointer is set, else "_default"."""
    cls = "_default"
    if get(o, "spec", "ingressClassName") is not None:
        cls = get(o, "spec", "ingressClassName")
    ann = get(o, "metadata", "annotations")
    if isinstance(ann, dict) and "kubernetes.io/ingress.class" in ann:
        cls = s(ann, "kubernetes.io/ingress.class")
    return [([("ingressclass", cls)], 1)]


def ingress_path(ctx, o):
    """Per rule with HTTP != nil, per path: the service backend's labels, else the resource
    backend's (APIGroup nil -> ""). Both nil (KSM: nil dereference) -> no sample."""
    out = []
    for rule in lst(o, "spec", "rules"):
        if get(rule, "http") is None:
            continue
        for p in lst(rule, "http", "paths"):
            head = [("host", s(rule, "host")), ("path", s(p, "path")),
                    ("path_type", s(p, "pathType"))]
            svc = get(p, "backend", "service")
            res = get(p, "backend", "resource")
            if svc is not None:
                num = get(svc, "port", "number")
                out.append((head + [("service_name", s(svc, "name")),
                                    ("service_port", str(int(num) if num is not None else 0))], 1))
            elif res is not None:
                out.append((head + [("resource_api_group", s(res, "apiGroup")),
                                    ("resource_kind", s(res, "kind")),
                                    ("resource_name", s(res, "name"))], 1))
    return out


def ingress_tls(ctx, o):
    return [([("tls_host", "" if h is None else h), ("secret", s(t, "secretName"))], 1)
            for t in lst(o, "spec", "tls") for h in lst(t, "hosts")]


KINDS["ingresses"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("ingress", s(o, "metadata", "name"))],
    {
        "kube_ingress_info": ingress_info,
        "kube_ingress_annotations": annotations_family,
        "kube_ingress_labels": labels_family,
        "kube_ingress_created": created,
        "kube_ingress_metadata_resource_version": resource_version,
        "kube_ingress_path": ingress_path,
        "kube_ingress_tls": ingress_tls,
    })

# horizontalpodautoscalers (internal/store/horizontalpodautoscaler.go, autoscaling/v2) -----


def milli_float(q):
    """float64(Quantity.MilliValue())/1000 (HPA target/current values). Beyond
    MaxMilliValue Go's MilliValue overflows; there this model gives float64(Value())."""
    with localcontext() as c:
        c.prec = 2000
        return _milli_float(str(q))


def _milli_float(q):
    m = QTY.match(q)
    if not m:
        raise ValueError("bad quantity " + q)
    num, suf = Decimal(m.group(1)), m.group(2)
    exp = len(suf) > 1 and suf[0] in "eE" and suf != "Ei"
    amount = num * (Decimal(10) ** int(suf[1:]) if exp else SUFFIX[suf])
    rnd = ROUND_CEILING if amount >= 0 else ROUND_FLOOR
    amount = (amount * Decimal(10) ** 9).to_integral_value(rounding=rnd) / Decimal(10) ** 9
    milli = int((amount * 1000).to_integral_value(rounding=rnd))
    if abs(quantity_int(q)) > MAX_INT64 // 1000:
        # Go's MilliValue overflows here (unspecified bits); like ksmc, take
        # convertValueToFloat64's float64(Value()) (tests/golden/README.md, HPA values).
        return quantity_value(q)
    return float(milli) / 1000


POW10_TAB = [float("1e%d" % i) for i in range(32)]
POW10_POS32 = [float("1e%d" % (32 * i)) for i in range(10)]
POW10_NEG32 = [float("1e-%d" % (32 * i)) for i in range(11)]


def go_pow10(e):
    """Go's math.Pow10 (table product / quotient)."""
    if 0 <= e <= 308:
        return POW10_POS32[e // 32] * POW10_TAB[e % 32]
    if -323 <= e < 0:
        return POW10_NEG32[-e // 32] / POW10_TAB[-e % 32]
    return float("inf") if e > 0 else 0.0


QTY_PARTS = re.compile(r"^([+-]?)0*(\d*)(?:\.(\d*))?(.*)$")
BIN_EXP = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
SI_EXP = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def approx_float(q):
    """Quantity.AsApproximateFloat64() after resource.ParseQuantity: ParseQuantity keeps an
    int64Amount{value, scale} when the digits fit (<= 18 digits, scale >= -9; binary
    suffixes only without a fraction and with few digits), else an inf.Dec rounded up to
    nano (scale 9; BinarySI capped at 2^63-1, scale 0). The result is
    float64(mantissa) * math.Pow10(exponent)."""
    with localcontext() as c:
        c.prec = 2000
        return _approx_float(str(q))


def _approx_float(q):
    if q == "0":
        return 0.0
    m = QTY_PARTS.match(q)
    sign, num, den, suf = m.group(1), m.group(2) or "0", m.group(3) or "", m.group(4)
    neg = sign == "-"
    if suf in BIN_EXP:
        binary, exp = True, BIN_EXP[suf]
    elif suf in SI_EXP:
        binary, exp = False, SI_EXP[suf]
    elif re.fullmatch(r"[eE][+-]?\d+", suf):
        binary, exp = False, int(suf[1:])
    else:
        raise ValueError("bad quantity " + q)
    if not binary:
        precision = 18 - (len(num) + len(den))
        scale = exp - len(den)
        if precision >= 0 and scale >= -9:
            v = int(num + den) * (-1 if neg else 1)
            return float(v) if scale == 0 else float(v) * go_pow10(scale)
    elif den == "" and 15 - len(num) - int(exp * 3 / 10) - 1 >= 0:
        v = int(num) << exp
        return float(-v if neg else v)
    amount = Decimal(num + "." + (den or "0")) * (Decimal(2) ** exp if binary else Decimal(10) ** exp)
    if amount == 0:
        return 0.0
    nanos = int((amount * Decimal(10) ** 9).to_integral_value(rounding=ROUND_CEILING))
    if binary and nanos > MAX_INT64 * 10 ** 9:
        return float(-MAX_INT64 if neg else MAX_INT64)
    f = float(nanos) * go_pow10(-9)
    return -f if neg else f


HPA_SOURCES = {"Object": ("object", ("metric", "name")), "Pods": ("pods", ("metric", "name")),
               "Resource": ("resource", ("name",)),
               "ContainerResource": ("containerResource", ("name",)),
               "External": ("external", ("metric", "name"))}


def hpa_target_metric(arr, field):
    """One sample per set value/averageValue/averageUtilization of each metric's
    target/current (KSM's metricMap; a Go map, so the order inside a metric is random:
    value, average, utilization here). Unknown types and a missing source are skipped."""
    def f(ctx, o):
        out = []
        for mt in lst(o, *arr):
            t = s(mt, "type")
            if t not in HPA_SOURCES:
                continue
            key, name_path = HPA_SOURCES[t]
            src = get(mt, key)
            if src is None:
                continue
            name = s(src, *name_path)
            container = s(src, "container") if t == "ContainerResource" else ""
            tgt = get(src, field) or {}
            vals = []
            if tgt.get("value") is not None:
                vals.append(("value", milli_float(tgt["value"])))
            if tgt.get("averageValue") is not None:
                vals.append(("average", milli_float(tgt["averageValue"])))
            if tgt.get("averageUtilization") is not None:
                vals.append(("utilization", tgt["averageUtilization"]))
            for typ, v in vals:
                out.append(([("metric_name", name), ("metric_target_type", typ),
                             ("container", container)], v))
        return out
    return f


def hpa_info(ctx, o):
    ref = get(o, "spec", "scaleTargetRef") or {}
    labels = [("scaletargetref_api_version", s(ref, "apiVersion"))] if s(ref, "apiVersion") else []
    return [(labels + [("scaletargetref_kind", s(ref, "kind")),
                       ("scaletargetref_name", s(ref, "name"))], 1)]


def hpa_tolerance(direction):
    def f(ctx, o):
        t = get(o, "spec", "behavior", direction, "tolerance")
        return [] if t is None else [([], approx_float(t))]
    return f


KINDS["horizontalpodautoscalers"] = (
    lambda o: [("namespace", s(o, "metadata", "namespace")),
               ("horizontalpodautoscaler", s(o, "metadata", "name"))],
    {
        "kube_horizontalpodautoscaler_info": hpa_info,
        "kube_horizontalpodautoscaler_metadata_generation": always("metadata", "generation"),
        "kube_horizontalpodautoscaler_spec_max_replicas": always("spec", "maxReplicas"),
        "kube_horizontalpodautoscaler_spec_min_replicas": lambda ctx, o: [
            ([], get(o, "spec", "minReplicas") if get(o, "spec", "minReplicas") is not None
             else 1)],
        "kube_horizontalpodautoscaler_spec_target_metric":
            hpa_target_metric(("spec", "metrics"), "target"),
        "kube_horizontalpodautoscaler_spec_behavior_scale_down_tolerance":
            hpa_tolerance("scaleDown"),
        "kube_horizontalpodautoscaler_spec_behavior_scale_up_tolerance": hpa_tolerance("scaleUp"),
        "kube_horizontalpodautoscaler_status_target_metric":
            hpa_target_metric(("status", "currentMetrics"), "current"),
        "kube_horizontalpodautoscaler_status_current_replicas":
            always("status", "currentReplicas"),
        "kube_horizontalpodautoscaler_status_desired_replicas":
            always("status", "desiredReplicas"),
        "kube_horizontalpodautoscaler_annotations": annotations_family,
        "kube_horizontalpodautoscaler_labels": labels_family,
        "kube_horizontalpodautoscaler_status_condition":
            lambda ctx, o: conditions(["condition", "status"], lst(o, "status", "conditions")),
        "kube_horizontalpodautoscaler_created": created,
        "kube_horizontalpodautoscaler_deletion_timestamp": deleted,
    })

# ---- driver ---------------------------------------------------------------------------


def go_decode(b):
    """Bytes to text as Go's encoding/json does: one U+FFFD per invalid UTF-8 byte."""
    out, i = [], 0
    while i < len(b):
        try:
            out.append(b[i:].decode("utf-8"))
            break
        except UnicodeDecodeError as e:
            out.append(b[i:i + e.start].decode("utf-8"))
            out.append("\ufffd")
            i += e.start + 1
    return "".join(out)


def no_lone_surrogates(v):
    """Go decodes an escaped lone surrogate (\\ud800) as U+FFFD; Python keeps it."""
    if isinstance(v, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", v)
    if isinstance(v, list):
        return [no_lone_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {no_lone_surrogates(k): no_lone_surrogates(x) for k, x in v.items()}
    return v


def load_objects(path):
    text = go_decode(open(path, "rb").read())
    dec = json.JSONDecoder(object_hook=no_lone_surrogates)
    objs, i = [], 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            break
        o, i = dec.raw_decode(text, i)
        if isinstance(o, dict) and isinstance(o.get("items"), list) and "metadata" not in o \
                or (isinstance(o, dict) and str(o.get("kind", "")).endswith("List")):
            objs.extend(o.get("items") or [])
        else:
            objs.append(o)
    return objs


# Kinds the shared TSV has no rows for: the same columns, written from KSM's
# internal/store/<kind>.go for this model (catalogue-extra.tsv beside this file).
EXTRA_TSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue-extra.tsv")


def load_tsv(path, resource):
    rows = []
    for p in (path, EXTRA_TSV):
        with open(p, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                r = dict(zip(header, line.rstrip("\n").split("\t")))
                if r["resource"] == resource:
                    rows.append(r)
    return rows


def enabled(ctx, row):
    if row["default_enabled"] != "no:opt-in":
        return True
    return ctx.all_families or any(re.search(p, row["metric"]) for p in ctx.opt_in)


def render(tsv, resource, path, args):
    ctx = Ctx(resource, args)
    defaults, fams = KINDS[resource]
    rows = load_tsv(tsv, resource)
    names = [r["metric"] for r in rows]
    if sorted(names) != sorted(fams):
        raise SystemExit(f"model/TSV family mismatch: {set(names) ^ set(fams)}")
    objs = load_objects(path)
    out = []
    if not objs:
        return ""
    for r in rows:
        if not enabled(ctx, r):
            continue
        name = r["metric"]
        out.append(f"# HELP {name} {r['help']}\n# TYPE {name} {r['type']}\n")
        # TSV label sets: "a,b,[c]" (c only on some samples), "a,b | a,c" (alternatives)
        alts = []
        for alt in r["labels"].split(" | "):
            ks = [k for k in alt.split(",") if not k.endswith("*")]
            opt = [k.strip("[]") for k in ks]
            alts.append(opt)
            if any(k.startswith("[") for k in ks):
                alts.append([k for k in ks if not k.startswith("[")])
        for o in objs:
            for labels, value in fams[name](ctx, o):
                ls = defaults(o) + labels
                keys = [k for k, _ in ls]
                dyn = "*" in r["labels"]
                if not dyn and keys not in alts:
                    raise SystemExit(f"{name}: label order {keys} not in TSV {alts}")
                body = ",".join(f'{k}="{esc(v)}"' for k, v in ls)
                out.append(f"{name}{{{body}}} {go_float(value)}\n")
    return "".join(out)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    sys.stdout.write(render(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
