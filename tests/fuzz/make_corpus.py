#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from the repository's
real inputs: golden objects (tests/golden/*/*.json), specs (specs/*.yaml,
tests/specs/bad/*.yaml), plus hand-written watch streams, LIST pages, kubeconfigs, HTTP
requests, allowlist flags, quantities and timestamps. Deterministic; run from anywhere:
    python3 tests/fuzz/make_corpus.py [target...]
It writes (and overwrites) its seeds but never deletes a file: hand-made seeds (fuzz_cron's)
live beside them, and the committed corpora are a reviewed selection, so name the targets
whose seeds you mean to refresh (none named: all it knows).Each target's input layout is described at the top of its tests/fuzz/fuzz_<target>.c."""
import glob
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
ONLY = set(sys.argv[1:])


def write(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def objects():
    """(name, raw bytes, list of parsed objects) for every golden JSON file."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "tests/golden/*/*.json"))):
        raw = open(path, "rb").read()
        objs = []
        try:
            v = json.loads(raw)
            objs = v["items"] if isinstance(v, dict) and "items" in v else [v]
        except (ValueError, UnicodeDecodeError):
            for line in raw.splitlines():
                try:
                    objs.append(json.loads(line))
                except (ValueError, UnicodeDecodeError):
                    pass
        out.append((os.path.basename(path)[:-5], raw, [o for o in objs if isinstance(o, dict)]))
    return out


def compact(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def seed8(n):
    return n.to_bytes(8, "big")


def main():
    objs = objects()
    small = [(n, r, o) for n, r, o in objs if len(r) < 64 * 1024]

    for name, raw, _ in objs:
        write("fuzz_input", name, raw)
    per_kind = {}
    for name, raw, os_ in small:
        node = name.startswith(("node", "exact-node"))
        if not name.startswith(("pod", "exact-pod", "node", "exact-node", "ksm-benchmark")):
            # other kinds: bit 4 selects ksmc_kinds[(opt >> 1 & 7) % nkinds]; try each index
            if per_kind.get(name.split("-")[0], 0) >= 2 or not os_:
                continue
            per_kind[name.split("-")[0]] = per_kind.get(name.split("-")[0], 0) + 1
            for k in range(8):
                write("fuzz_render", "%s-k%d" % (name, k), bytes([0x10 | k << 1]) + compact(os_[0]).encode())
            continue
        for i, o in enumerate(os_[:3]):
            body = compact(o).encode()
            # option byte: bit 0 nodes; bits 1-4 allowlists; 0x20/0x40 family selection
            for opt in (0x00, 0x1E, 0x62):
                write("fuzz_render", "%s-%d-%02x" % (name, i, opt), bytes([opt | node]) + body)

    for path in sorted(glob.glob(os.path.join(REPO, "specs/*.yaml")) +
                       glob.glob(os.path.join(REPO, "tests/specs/bad/*.yaml"))):
        write("fuzz_spec", os.path.basename(path), open(path, "rb").read())

    pods = [o for n, r, os_ in small if n.startswith(("pod", "exact-pod")) for o in os_][:6]
    nodes = [o for n, r, os_ in small if n.startswith(("node", "exact-node")) for o in os_][:3]
    for kind, items in (("Pod", pods), ("Node", nodes)):
        ev = "".join(compact({"type": t, "object": o}) + "\n"
                     for t, o in zip(["ADDED", "MODIFIED", "DELETED", "ADDED", "MODIFIED", "ADDED"], items))
        ev += compact({"type": "BOOKMARK", "object": {"kind": kind, "metadata": {"resourceVersion": "99"}}}) + "\n"
        ev += compact({"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired",
                                                  "message": "too old resource version: 5 (3006)"}}) + "\n"
        write("fuzz_watch", kind.lower() + "-stream", seed8(0x0123456789ABCDEF) + ev.encode())
        write("fuzz_watch", kind.lower() + "-stream-limit", seed8(3) + ev.encode())
        write("fuzz_watch", kind.lower() + "-truncated", seed8(7 << 8) + ev.encode()[: len(ev) // 2])
        page = {"kind": kind + "List", "apiVersion": "v1",
                "metadata": {"resourceVersion": "12345", "continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"},
                "items": items}
        write("fuzz_list", kind.lower() + "-page", seed8(0x0123456789ABCDEF) + compact(page).encode())
        write("fuzz_list", kind.lower() + "-page-indented", seed8(1 << 8) + json.dumps(page, indent=1).encode())
        tail = {"kind": kind + "List", "items": items[:2], "metadata": {"resourceVersion": "7"}}
        write("fuzz_list", kind.lower() + "-meta-last", seed8(4) + compact(tail).encode())
        # fuzz_gunzip: seed mode 1 (zlib compresses the payload: level 6, two members split at
        # 1000), 2 (one byte corrupted), 3 (truncated), and 0: a raw gzip body (Python's).
        payload = compact(tail).encode()[:3000]
        mode = lambda m: seed8(m | 6 << 8 | 1 << 24 | 1000 << 32 | 0x0123 << 40)
        for m, what in ((1, "two-members"), (2, "corrupt"), (3, "truncated")):
            write("fuzz_gunzip", "%s-%s" % (kind.lower(), what), mode(m) + payload)
        write("fuzz_gunzip", kind.lower() + "-raw", seed8(0) + gzip.compress(payload, 9, mtime=0))
    write("fuzz_watch", "garbage-between", seed8(9) + b'xx\n{"type":"ADDED","object":{}}\n{"a":\n"b"}\n')
    write("fuzz_list", "empty", seed8(0) + b'{"kind":"PodList","metadata":{},"items":[]}')

    head = "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
    write("fuzz_kubeconfig", "token", head +
          "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443/\n"
          "    insecure-skip-tls-verify: true\n    tls-server-name: kubernetes\n"
          "contexts:\n- name: a\n  context: {cluster: c, user: u, namespace: kube-system}\n"
          "users:\n- name: u\n  user:\n    token: abc.def\n")
    write("fuzz_kubeconfig", "data", head +
          "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
          "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
          "contexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n"
          "users:\n- name: u\n  user:\n    client-certificate-data: YWJj\n    client-key-data: ZGVm\n")
    write("fuzz_kubeconfig", "files", head +
          "clusters:\n- name: c\n  cluster: {server: 'https://a:1', certificate-authority: ca.crt}\n"
          "contexts:\n- name: a\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: x}\n"
          "users:\n- name: u\n  user: {tokenFile: token, client-certificate: c.crt, client-key: c.key}\n")
    write("fuzz_kubeconfig", "missing-context", head + "contexts: []\nclusters: []\nusers: []\n")
    write("fuzz_kubeconfig", "flow", '{"apiVersion":"v1","kind":"Config","current-context":"a",'
          '"clusters":[{"name":"c","cluster":{"server":"http://x"}}],'
          '"contexts":[{"name":"a","context":{"cluster":"c"}}],"users":null}\n')
    write("fuzz_kubeconfig", "anchors", head +
          "clusters:\n- &c {name: c, cluster: {server: 'https://a:1'}}\n- *c\n"
          "contexts:\n- name: a\n  context: {cluster: c, user: u}\nusers: [{name: u, user: {}}]\n")

    reqs = [
        ("plain", "-\n-\n"),
        ("om", "application/openmetrics-text; version=1.0.0; charset=utf-8;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1\ngzip\n"),
        ("prom", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3\n"
                 "deflate, gzip;q=1.0, *;q=0.5\nresources=pods"),
        ("filters", "text/plain\nidentity\nresources=pods,%20nodes&exclude_resources=nodes&resources="),
        ("escaping", "application/openmetrics-text;version=0.0.1;escaping=values\ngzip\nexclude_resources=pods%2Cfoo&x=y&&="),
        ("empty-filter", "*/*\n-\nresources=,,%20&exclude_resources="),
    ]
    for i, (name, r) in enumerate(reqs):
        write("fuzz_http", name, bytes([0, 7 + 300 * i % 256]) + r.encode())

    for i, f in enumerate(["pods=[app,team.*],nodes=[*]\n\napp\nteam.x\nkubernetes.io/role",
                           "*=[*]\npods=[]\nx", "pods=[a*b, *c ,d*],=[x]\nnodes=[\nab", "",
                           "pods=[app],pods=[x]\n*=[a*]\nabc"]):
        write("fuzz_allowlist", "flag%d" % i, f)
    for i, q in enumerate(["1", "100m", "1.5Gi", "-2Ki", "+.5", "1e3", "1E-3", "12345678901234567890Ei", "0.000000001n",
              "9223372036854775807", "1.", ".", "Gi", "3.14159265358979323846264338327950288419716939937510k"]):
        write("fuzz_quantity", "q%02d" % i, q)
    for i, t in enumerate(["2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59",
              "2023-06-15T08:30:00.123-07:00", "2021-04-31T00:00:00Z", "2021-01-01T7:00:00,5Z", "2021-01-01T24:00:00Z"]):
        write("fuzz_time", "t%02d" % i, t)
    h = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
    for i, w in enumerate([
            "tls_server_config:\n  cert_file: tls/s.crt\n  key_file: /k/s.key\n  client_auth_type: "
            "RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS12\n  max_version: TLS13\n",
            "http_server_config:\n  http2: true\n  headers:\n    X-Frame-Options: deny\n"
            "    Strict-Transport-Security: max-age=1\nbasic_auth_users:\n  alice: " + h + "\n",
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequestClientCert}\n"
            "basic_auth_users: {'u': '" + h + "'}\n",
            "tls_server_config:\n  cert_file: a\n  cert_file: b\n", "- x\n- y\n", "", "&a [*a]\n"]):
        write("fuzz_webcfg", "w%02d" % i, w)


if __name__ == "__main__":
    main()
