#!/usr/bin/env python3
"""Differential fuzz: random objects rendered by ksmc's generated serializers and by the
independent models of KSM (tests/golden/model: Go, nodes and pods; tests/golden/model-kinds:
Python, the other kinds), compared byte for byte.

usage: diff_fuzz.py KSMC [--seed N] [--count N] [--long] [--kinds k1,k2|all] [--keep DIR]

Objects are made by a seeded mutator from templates: every golden input of the kind
(tests/golden/<kind>/*.json) and the all-fields object of its type in
tests/golden/api-fields/ (copied from shared/k8s-api-fields/). Mutations keep each field's JSON type (the API server would reject
anything else, and KSM would fail to decode it): fields removed or set to null, strings
replaced by odd ones (quotes, backslashes, LF, CR, TAB, control bytes, U+2028, emoji, escaped
and raw invalid UTF-8, lone surrogates, 2 KB strings), timestamps by other valid RFC 3339
times (offsets, fractions, pre-1970, year 1 and 9999), quantities by unusual but valid
quantities (every suffix, exponents, huge and tiny values, JSON numbers), integers by
boundary values of their Go type, maps and arrays emptied, extended with odd keys,
shuffled, duplicated. Each kind is rendered twice: with default flags and with
`--all-families` plus `[*]` label and annotation allowlists.

Families whose KSM order comes from a Go map iteration (node capacity/allocatable/role,
container resource requests/limits) are compared as a multiset of lines; every other
family byte for byte. A mismatch is narrowed to single objects, printed with the diff and
saved (--keep DIR, default a temp dir) for a golden regression case.

Not generated, because an API server never sends them and KSM's reading differs from
ksmc's only there: null as a map value (KSM: a present zero value; ksmc: absent).

--long: 5000 objects per kind (default 300). Exit 1 on any mismatch or model failure.
"""
import argparse
import copy
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The models' inputs are committed next to them (copies of shared/ksm-catalogue.tsv and of
# shared/k8s-api-fields/, see tests/golden/README.md), so a fresh clone runs the same test.
TSV = os.environ.get("KSM_TSV", os.path.join(HERE, "model", "ksm-catalogue.tsv"))
API_FIELDS_DIR = os.path.join(HERE, "api-fields")

# The kinds this test checks by default, each verified against its model.
DEFAULT_KINDS = ["node", "pod", "namespace", "replicaset", "daemonset", "statefulset",
                 "service", "persistentvolumeclaim", "endpointslice", "cronjob",
                 "ingress", "endpoints",
                 "horizontalpodautoscaler"]
# Go's time.Local (a CronJob without spec.timeZone) is UTC for both sides, as in KSM's image.
os.environ["TZ"] = "UTC"
API_FIELDS = {
    "node": "core.v1.Node", "pod": "core.v1.Pod", "namespace": "core.v1.Namespace",
    "replicaset": "apps.v1.ReplicaSet", "daemonset": "apps.v1.DaemonSet",
    "statefulset": "apps.v1.StatefulSet", "service": "core.v1.Service",
    "persistentvolumeclaim": "core.v1.PersistentVolumeClaim",
    "endpointslice": "discovery.k8s.io.v1.EndpointSlice", "deployment": "apps.v1.Deployment",
    "job": "batch.v1.Job", "cronjob": "batch.v1.CronJob", "configmap": "core.v1.ConfigMap",
    "secret": "core.v1.Secret", "ingress": "networking.k8s.io.v1.Ingress",
    "persistentvolume": "core.v1.PersistentVolume",
    "poddisruptionbudget": "policy.v1.PodDisruptionBudget",
    "certificatesigningrequest": "certificates.k8s.io.v1.CertificateSigningRequest",
    "mutatingwebhookconfiguration": "admissionregistration.k8s.io.v1.MutatingWebhookConfiguration",
    "validatingwebhookconfiguration":
        "admissionregistration.k8s.io.v1.ValidatingWebhookConfiguration",
    "endpoints": "core.v1.Endpoints", "limitrange": "core.v1.LimitRange",
    "horizontalpodautoscaler": "autoscaling.v2.HorizontalPodAutoscaler",
}
MAP_ORDER_FAMILIES = {
    "kube_node_status_capacity", "kube_node_status_allocatable", "kube_node_role",
    "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
    "kube_pod_init_container_resource_requests", "kube_pod_init_container_resource_limits",
    # one metric's value/average/utilization samples come from a Go map (metricMap)
    "kube_horizontalpodautoscaler_spec_target_metric",
    "kube_horizontalpodautoscaler_status_target_metric",
}


def plural(kind):
    if kind == "endpoints":  # already plural
        return kind
    if kind.endswith("s"):
        return kind + "es"
    if kind.endswith("y") and kind[-2] not in "aeiou":
        return kind[:-1] + "ies"
    return kind + "s"


# ---- Go-style decoding of inputs (one U+FFFD per invalid byte) ----------------------------

# Go's decoding of input bytes (one U+FFFD per invalid byte): the Python model's own.
sys.path.insert(0, os.path.join(HERE, "model-kinds"))
from ksm_model import go_decode  # noqa: E402


def load_templates(kind):
    objs = []
    for path in sorted(glob.glob(os.path.join(HERE, kind, "*.json"))):
        text = go_decode(open(path, "rb").read())
        dec, i = json.JSONDecoder(), 0
        while True:
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
            if i >= len(text):
                break
            o, i = dec.raw_decode(text, i)
            if isinstance(o, dict) and isinstance(o.get("items"), list):
                objs.extend(x for x in o["items"] if isinstance(x, dict))
            elif isinstance(o, dict):
                objs.append(o)
    af = API_FIELDS.get(kind)
    if af:  # every kind with a template must have it: a missing file is an error, not a skip
        objs.append(json.load(open(os.path.join(API_FIELDS_DIR, af + ".json"))))
    return objs


# ---- JSON writer with raw invalid UTF-8 and lone surrogates --------------------------------

class Raw:
    """A string value written with raw (possibly invalid UTF-8) bytes."""

    def __init__(self, b):
        self.b = b


def write_json(v, out, rng):
    if isinstance(v, Raw):
        out += b'"' + v.b + b'"'
    elif isinstance(v, str):
        surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in v)
        out += json.dumps(v, ensure_ascii=surrogate or rng.random() < 0.2).encode("utf-8")
    elif isinstance(v, bool) or v is None:
        out += json.dumps(v).encode()
    elif isinstance(v, int):
        out += str(v).encode()
    elif isinstance(v, float):
        out += repr(v).encode()
    elif isinstance(v, list):
        out += b"["
        for i, x in enumerate(v):
            if i:
                out += b","
            write_json(x, out, rng)
        out += b"]"
    elif isinstance(v, dict):
        out += b"{"
        for i, (k, x) in enumerate(v.items()):
            if i:
                out += b","
            write_json(k, out, rng)
            out += b":"
            write_json(x, out, rng)
        out += b"}"
    else:
        raise TypeError(type(v))


# ---- the mutator ----------------------------------------------------------------------------

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
QTY_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")
QTY_PARENTS = {"requests", "limits", "capacity", "allocatable", "overhead", "hard", "used",
               "sizeLimit", "storage", "allocatedResources", "min", "max", "default",
               "defaultRequest", "maxLimitRequestRatio"}
# Quantity fields that are not map entries: (parent key, key).
QTY_FIELDS = {("target", "value"), ("target", "averageValue"), ("current", "value"),
              ("current", "averageValue"), ("scaleUp", "tolerance"), ("scaleDown", "tolerance")}
INT64_KEYS = {"generation", "observedGeneration", "tolerationSeconds",
              "deletionGracePeriodSeconds", "activeDeadlineSeconds",
              "terminationGracePeriodSeconds", "runAsUser", "runAsGroup", "fsGroup",
              "expirationSeconds", "collisionCount"}
ODD_STRINGS = [
    "", " ", "a\"b", "a\\b", "back\\slash\\\\", "line\nbreak", "\n", "cr\rhere", "tab\there",
    "bell\x07esc\x1b", "\x01\x1f", "del\x7f", "u2028\u2028u2029\u2029", "caf\u00e9",
    "\u65e5\u672c\u8a9e", "emoji\U0001F600", "\ufffd", "\ufeffbom", "a=b,c=\"d\"", "{}[]",
    "x" * 2000, "-", "0", "true", "null", "\u00a0nbsp", "a.b/c-d_e", "UPPER", "\\u0041",
    "\ud800", "lone\udfffsurrogate", "pair\ud83d\ude00",
]
RAW_BAD = [b"\xff", b"a\xc0\xafb", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"ok\xc2", b"\x80\x80", b"caf\xc3\xa9\xff"]
ODD_KEYS = ["app", "App", "app-name", "app.name", "app_name", "appName", "a/b", "9lives",
            "_under", "caf\u00e9", "\u65e5", "x.y.z/w", "", "-", "foo-Bar", "foo.bar",
            "fooBar", "foo_bar", "node-role.kubernetes.io/worker",
            "node-role.kubernetes.io/", "node-role.kubernetes.io/a/b",
            "kubernetes.io/role", "volume.beta.kubernetes.io/storage-class"]
QTY_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi",
                "Ei"]


def rand_timestamp(rng):
    r = rng.random()
    if r < 0.05:
        return "0001-01-01T00:00:00Z"
    if r < 0.1:
        return "1970-01-01T00:00:00Z"
    year = rng.choice([rng.randint(1, 9999), rng.randint(1900, 1969), rng.randint(1970, 2100),
                       rng.randint(2020, 2030)])
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % (year, month, day, rng.randint(0, 23),
                                            rng.randint(0, 59), rng.randint(0, 59))
    if rng.random() < 0.3:
        s += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
    if rng.random() < 0.3 and year not in (1, 9999):
        s += "%s%02d:%02d" % (rng.choice("+-"), rng.randint(0, 14), rng.choice([0, 30, 45]))
    else:
        s += "Z"
    return s


CRON_FIELDS = ["*", "?", "*/5", "0", "1", "3", "30", "1-5", "2-6/2", "10-50/20", "7/20", "5,6",
               "*/2"]
CRON_BAD_FIELDS = ["60", "5-1", "*/0", "jan-mar", "MON-FRI", "sun", "7", "1,15,L", ",", "+3",
                   "1-2-3", "1/2/3", "x"]
CRON_ZONES = ["", "UTC", "Local", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
              "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Apia", "Mars/Base", "../etc",
              "Europe", "Etc/GMT+5"]


def rand_schedule(rng):
    """A CronJob schedule: mostly well-formed five fields, descriptors, zone prefixes."""
    r = rng.random()
    if r < 0.15:
        s = rng.choice(["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly",
                        "@annually", "@every 1h30m", "@every 500ms", "@every -1s", "@every 0",
                        "@every 3x", "@daily ", "@fortnightly"])
    else:
        n = 5 if rng.random() < 0.9 else rng.choice([4, 6])
        s = " ".join(rng.choice(CRON_FIELDS) if rng.random() < 0.97
                     else rng.choice(CRON_BAD_FIELDS) for _ in range(n))
    if rng.random() < 0.2:
        s = rng.choice(["CRON_TZ=", "TZ="]) + rng.choice(CRON_ZONES) + rng.choice([" ", "\t", ""]) + s
    return s


def rand_quantity(rng):
    r = rng.random()
    if r < 0.1:
        return rng.choice([0, 1, 2, 110, 2.5, 0.5, 1000000])  # JSON numbers
    if r < 0.2:
        return rng.choice(["0", "1", "9223372036854775807", "9223372036854775808",
                           "9223372036854775", "10E", "8Ei", "1.5E", "1e3", "1E3", "2.5e-3",
                           "12e6", "1.0000000001", "0.1n", "1n", "999Ei", "+5", "007",
                           "-1", "-100m", "-0", "0.001Gi", "1.5Ki", ".5", "1.", "3E-2",
                           "99999999999999999999999999Ei", "123456789012345678901234567890"])
    digits = str(rng.choice([0, 1, 2, 3, 5, 7, 10, 16, 64, 100, 250, 500, 999, 1000, 1024,
                             4096, 123456, rng.randint(0, 10 ** rng.randint(1, 18))]))
    if rng.random() < 0.25:
        digits += "." + str(rng.randint(0, 10 ** rng.randint(1, 6)))
    if rng.random() < 0.1:
        return digits + "e" + str(rng.randint(-9, 18))
    return digits + rng.choice(QTY_SUFFIXES)


class Mutator:
    def __init__(self, rng, templates):
        self.rng = rng
        self.vocab = {}  # path -> values seen in templates
        for t in templates:
            self._collect(t, ())

    def _collect(self, v, path):
        if isinstance(v, dict):
            for k, x in v.items():
                self._collect(x, path + (k,))
        elif isinstance(v, list):
            for x in v:
                self._collect(x, path + ("[]",))
        elif isinstance(v, str):
            self.vocab.setdefault(path, set()).add(v)

    def odd_string(self):
        if self.rng.random() < 0.15:
            return Raw(self.rng.choice(RAW_BAD))
        return self.rng.choice(ODD_STRINGS)

    def string(self, v, key, path, parent):
        rng = self.rng
        if TS_RE.match(v):
            return v if rng.random() < 0.3 else rand_timestamp(rng)
        if (parent in QTY_PARENTS or (parent, key) in QTY_FIELDS) and QTY_RE.match(v):
            return v if rng.random() < 0.2 else rand_quantity(rng)
        if path == ("spec", "schedule"):
            return rand_schedule(rng)
        if path == ("spec", "timeZone") and rng.random() < 0.95:
            return rng.choice(CRON_ZONES)
        r = rng.random()
        if r < 0.45:
            return v
        if r < 0.75:
            seen = sorted(self.vocab.get(path, ()))
            if seen:
                return rng.choice(seen)
        return self.odd_string()

    def integer(self, v, key):
        rng = self.rng
        if rng.random() < 0.4:
            return v
        if key in INT64_KEYS:
            return rng.choice([0, 1, -1, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, 300, 86400])
        return rng.choice([0, 1, -1, 2, 3, 137, 255, 2 ** 31 - 1, -2 ** 31, 65535, 80, 443,
                           rng.randint(-1000, 100000)])

    def value(self, v, key, path, parent):
        rng = self.rng
        if isinstance(v, bool):
            return rng.random() < 0.5
        if isinstance(v, int):
            if parent in QTY_PARENTS:
                return rand_quantity(rng) if rng.random() < 0.7 else v
            return self.integer(v, key)
        if isinstance(v, float):
            return rng.choice([v, 0.0, 1.5, 1e15])
        if isinstance(v, str):
            return self.string(v, key, path, parent)
        if isinstance(v, list):
            return self.array(v, key, path)
        if isinstance(v, dict):
            return self.obj(v, path, key)
        return v

    def array(self, v, key, path):
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            return []
        items = list(v)
        if items and r < 0.2:
            items.append(copy.deepcopy(rng.choice(items)))  # duplicate
        if len(items) > 1 and rng.random() < 0.2:
            rng.shuffle(items)
        if len(items) > 1 and rng.random() < 0.15:
            del items[rng.randrange(len(items))]
        return [self.value(x, key, path + ("[]",), key) if x is not None else x for x in items]

    def is_string_map(self, v, key):
        return key in ("labels", "annotations", "nodeSelector", "selector", "matchLabels") and \
            all(isinstance(x, str) for x in v.values())

    def obj(self, v, path, key=None):
        rng = self.rng
        if isinstance(v, dict) and self.is_string_map(v, key):
            out = {}
            for k, x in v.items():
                if rng.random() < 0.15:
                    continue
                out[k] = x if rng.random() < 0.6 else self.odd_string()
            for _ in range(rng.choice([0, 0, 1, 2, 4])):
                k = rng.choice(ODD_KEYS) if rng.random() < 0.8 else self.odd_string()
                if isinstance(k, Raw):
                    continue
                out[k] = rng.choice(["", "v", "true", "x\"y", "multi\nline"]) \
                    if rng.random() < 0.8 else self.odd_string()
            return out
        # A map (resource list, selector) never holds null from an API server (Go encodes
        # a zero Quantity as "0", a map[string]string value as ""), and KSM would read a
        # null entry as a present zero value where ksmc reads it as absent: not generated.
        is_map = key in QTY_PARENTS
        out = {}
        for k, x in v.items():
            top = (len(path) == 1 and path[0] == "metadata" and k in ("name", "namespace")) \
                or (not path and k in ("kind", "apiVersion"))  # another kind is rejected
            if not path and k in ("kind", "apiVersion"):
                out[k] = x
                continue
            if not top and rng.random() < 0.1:
                continue  # absent
            if not top and not is_map and x is not None and rng.random() < 0.04:
                out[k] = None
                continue
            out[k] = self.value(x, k, path + (k,), key) if x is not None else x
        return out

    def mutate(self, t):
        o = self.obj(t, ())
        o.setdefault("metadata", {})
        if not isinstance(o["metadata"], dict):
            o["metadata"] = {}
        return o


# ---- models ----------------------------------------------------------------------------------

def build_go_model(tmp):
    exe = os.path.join(tmp, "ksm-model")
    env = dict(os.environ)
    env.setdefault("GOCACHE", os.path.join(tempfile.gettempdir(), "ksmc-go-cache"))
    env.setdefault("GOFLAGS", "-mod=mod")
    r = subprocess.run(["go", "build", "-o", exe, "."], cwd=os.path.join(HERE, "model"),
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("diff_fuzz: cannot build the Go model (apt-get install golang-go):\n" + r.stderr)
    return exe


def run_model(kind, go_exe, path, args):
    res = plural(kind)
    if kind in ("node", "pod"):
        cmd = [go_exe, TSV, res, path] + args
    else:
        cmd = [sys.executable, os.path.join(HERE, "model-kinds", "ksm_model.py"), TSV, res, path]
        cmd += args
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace")
    return r.stdout, None


def run_ksmc(ksmc, kind, path, args):
    r = subprocess.run([ksmc, "render", "--resource", plural(kind)] + args + [path],
                       capture_output=True)
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace")
    return r.stdout, None


def families(out):
    fams, cur = {}, None
    order = []
    for line in out.split(b"\n"):
        if line.startswith(b"# HELP "):
            cur = line.split(b" ")[2].decode()
            order.append(cur)
            fams[cur] = []
        if cur is not None and line:
            fams[cur].append(line)
    return order, fams


def canon(line):
    """A sample line with its label pairs sorted (values may contain , = \\" \\\\ \\n)."""
    m = re.match(rb"^([^{ ]+)\{(.*)\} (\S+)$", line)
    if not m:
        return line
    pairs = re.findall(rb'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2))
    return m.group(1) + b"{" + b",".join(sorted(k + b'="' + v + b'"' for k, v in pairs)) + \
        b"} " + m.group(3)


def equal(got, want):
    if got == want:
        return True, []
    go, gf = families(got)
    wo, wf = families(want)
    bad = []
    if go != wo:
        bad.append("family order: ksmc %s vs model %s" % (go, wo))
        return False, bad
    for f in go:
        if gf[f] == wf[f]:
            continue
        if f in MAP_ORDER_FAMILIES and sorted(map(canon, gf[f])) == sorted(map(canon, wf[f])):
            continue
        bad.append(f)
    return not bad, bad


def diff_lines(got, want, limit=12):
    g, w = got.split(b"\n"), want.split(b"\n")
    sg, sw = set(g), set(w)
    out = [b"  model only: " + x for x in w if x not in sg][:limit]
    out += [b"  ksmc only:  " + x for x in g if x not in sw][:limit]
    return b"\n".join(out).decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ksmc")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--count", type=int, default=None)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--kinds", default=",".join(DEFAULT_KINDS))
    ap.add_argument("--keep", default=None)
    a = ap.parse_args()
    if not os.path.isfile(TSV):
        sys.exit("diff_fuzz: the KSM catalogue the models read is missing: %s" % TSV)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 31)
    count = a.count or (5000 if a.long else 300)
    kinds = a.kinds.split(",")
    if a.kinds == "all":
        kinds = sorted(d for d in os.listdir(HERE) if glob.glob(os.path.join(HERE, d, "*.json")))
    print("diff_fuzz: seed %d, %d objects per kind, kinds %s (reproduce: --seed %d)" %
          (seed, count, ",".join(kinds), seed), flush=True)
    tmp = tempfile.mkdtemp(prefix="diff-fuzz-")
    keep = a.keep or tmp
    os.makedirs(keep, exist_ok=True)
    go_exe = build_go_model(tmp) if {"node", "pod"} & set(kinds) else None
    failures = 0
    total = 0
    for kind in kinds:
        res = plural(kind)
        templates = load_templates(kind)
        if not templates:
            sys.exit("diff_fuzz: no templates for kind %s" % kind)
        rng = random.Random("%d:%s" % (seed, kind))
        mut = Mutator(rng, templates)
        objs = [mut.mutate(rng.choice(templates)) for _ in range(count)]
        blobs = []
        for o in objs:
            b = bytearray()
            write_json(o, b, rng)
            blobs.append(bytes(b))
        path = os.path.join(tmp, kind + ".ndjson")
        with open(path, "wb") as f:
            f.write(b"\n".join(blobs) + b"\n")
        argsets = [[], ["--all-families", "--metric-labels-allowlist=%s=[*]" % res,
                        "--metric-annotations-allowlist=%s=[*]" % res]]
        kind_bad = 0
        for args in argsets:
            got, gerr = run_ksmc(a.ksmc, kind, path, args)
            want, merr = run_model(kind, go_exe, path, args)
            if got is not None and want is not None:
                ok, bad = equal(got, want)
                if ok:
                    continue
            elif got is None and want is None:
                continue
            # narrow down to single objects
            print("MISMATCH %s %s: %s" % (kind, " ".join(args) or "(default flags)",
                                          gerr or merr or ", ".join(bad)), flush=True)
            shown = 0
            for i, blob in enumerate(blobs):
                one = os.path.join(tmp, "one.json")
                with open(one, "wb") as f:
                    f.write(blob + b"\n")
                g1, e1 = run_ksmc(a.ksmc, kind, one, args)
                w1, e2 = run_model(kind, go_exe, one, args)
                if g1 is not None and w1 is not None and equal(g1, w1)[0]:
                    continue
                if g1 is None and w1 is None:
                    continue
                kind_bad += 1
                name = os.path.join(keep, "%s-seed%d-%d.json" % (kind, seed, i))
                with open(name, "wb") as f:
                    f.write(blob + b"\n")
                if shown < 3:
                    shown += 1
                    print("  object %d -> %s" % (i, name))
                    if g1 is None or w1 is None:
                        print("  ksmc: %s\n  model: %s" % (e1 or "ok", e2 or "ok"))
                    else:
                        print(diff_lines(g1, w1))
            if not kind_bad:
                kind_bad = 1  # only the whole set differs
        total += len(objs)
        failures += kind_bad
        print("%-22s %5d objects x %d flag sets: %s" %
              (kind, len(objs), len(argsets), "ok" if not kind_bad else
               "%d mismatching objects" % kind_bad), flush=True)
    print("diff_fuzz: %d objects compared, seed %d" % (total, seed))
    if failures:
        print("0 passed, 1 failed")
        sys.exit(1)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
