#!/usr/bin/env python3
"""Checks every manifest under deploy/ (issue #9): each YAML parses; `kubectl kustomize`
renders the base and every variant; each workload has the probes, security context and
resources ksmc's deployment promises; RBAC only grants get/list/watch and the rendered
ClusterRole is the generated one; Service, ServiceMonitor and container ports agree; the
variant-specific wiring (autosharding env + Role, static shard flags, per-node --node) is
right; and the ksmc binary accepts every workload's args.

usage: check_manifests.py SOURCE_DIR KSMC [APISIM]
With APISIM, the workload objects are also applied with `kubectl apply --dry-run=server`
against the simulator (it serves apps/v1 and v1 services, not RBAC or ServiceMonitor).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

SRC, KSMC = sys.argv[1], sys.argv[2]
APISIM = sys.argv[3] if len(sys.argv) > 3 else None
DEPLOY = os.path.join(SRC, "deploy")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
READ_VERBS = {"get", "list", "watch"}
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def kustomize(path):
    r = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True)
    if not check(r.returncode == 0, "kubectl kustomize %s failed: %s" % (path, r.stderr.strip())):
        return []
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def sec_value(pod, ctr, key):
    """A container's effective securityContext value (container wins over pod)."""
    c = ctr.get("securityContext") or {}
    if key in c:
        return c[key]
    return (pod.get("securityContext") or {}).get(key)


def check_workload(where, w, svc_ports):
    name = "%s %s/%s" % (where, w["kind"], w["metadata"]["name"])
    pod = w["spec"]["template"]["spec"]
    labels = w["spec"]["template"]["metadata"].get("labels", {})
    sel = w["spec"]["selector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()), name + ": selector does not match the pod labels")
    check(labels.get("app.kubernetes.io/name") == "ksmc", name + ": pods lack app.kubernetes.io/name=ksmc (Service selector)")
    check(pod.get("serviceAccountName") == "ksmc", name + ": serviceAccountName is not ksmc")
    ctrs = pod.get("containers", [])
    check(len(ctrs) == 1, name + ": want exactly one container")
    for c in ctrs:
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        check(ports == {"http-metrics": 8080, "telemetry": 8081}, name + ": container ports %r" % ports)
        live = (c.get("livenessProbe") or {}).get("httpGet") or {}
        ready = (c.get("readinessProbe") or {}).get("httpGet") or {}
        check(live.get("path") == "/livez" and live.get("port") in ("http-metrics", 8080), name + ": liveness must be GET /livez on http-metrics")
        check(ready.get("path") == "/readyz" and ready.get("port") in ("telemetry", 8081), name + ": readiness must be GET /readyz on telemetry")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                check(r in (res.get(kind) or {}), "%s: resources.%s.%s missing" % (name, kind, r))
        check(sec_value(pod, c, "runAsNonRoot") is True, name + ": runAsNonRoot must be true")
        check(sec_value(pod, c, "readOnlyRootFilesystem") is True, name + ": readOnlyRootFilesystem must be true")
        check(sec_value(pod, c, "allowPrivilegeEscalation") is False, name + ": allowPrivilegeEscalation must be false")
        check(((c.get("securityContext") or {}).get("capabilities") or {}).get("drop") == ["ALL"], name + ": capabilities must drop ALL")
        seccomp = sec_value(pod, c, "seccompProfile") or {}
        check(seccomp.get("type") == "RuntimeDefault", name + ": seccompProfile must be RuntimeDefault")
        uid = sec_value(pod, c, "runAsUser")
        check(uid is not None and uid != 0, name + ": runAsUser must be a non-zero uid")
        check_args(name, c)
    check(set(svc_ports) == {"http-metrics", "telemetry"}, where + ": Service ports %r" % svc_ports)


def check_args(name, c):
    """ksmc must accept the args (flags parsed up to --version, which stops before
    running). $(VAR) references must name an env var of the container."""
    env = {e["name"] for e in c.get("env", [])}
    args = []
    for a in c.get("args", []):
        for var in re.findall(r"\$\((\w+)\)", a):
            check(var in env, "%s: arg %s uses $(%s) but the container has no such env" % (name, a, var))
        args.append(re.sub(r"\$\((\w+)\)", "x-1", a))
    r = subprocess.run([KSMC] + args + ["--version"], capture_output=True, text=True)
    check(r.returncode == 0, "%s: ksmc rejects the args %s: %s" % (name, args, r.stderr.strip()))


def arg_value(c, flag):
    for a in c.get("args", []):
        if a.startswith("--%s=" % flag):
            return a.split("=", 1)[1]
    return None


def env_field(c, var):
    for e in c.get("env", []):
        if e["name"] == var:
            return ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
    return None


def check_rendered(where, docs, generated_cr):
    kinds = [d["kind"] for d in docs]
    for k in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service", "ServiceMonitor"):
        check(kinds.count(k) == 1, "%s: want one %s, got %d" % (where, k, kinds.count(k)))
    byk = {}
    for d in docs:
        byk.setdefault(d["kind"], []).append(d)
    for d in docs:
        if d["kind"] in ("ClusterRole", "Role"):
            for rule in d.get("rules", []):
                check(set(rule.get("verbs", [])) <= READ_VERBS, "%s: %s %s grants %s" % (where, d["kind"], d["metadata"]["name"], rule.get("verbs")))
                check("*" not in rule.get("resources", []), where + ": wildcard resource in RBAC")
    cr = byk.get("ClusterRole", [None])[0]
    check(cr == generated_cr, where + ": the ClusterRole is not the generated deploy/rbac/clusterrole.yaml")
    crb = (byk.get("ClusterRoleBinding") or [{}])[0]
    check(crb.get("roleRef", {}).get("name") == "ksmc" and crb.get("roleRef", {}).get("kind") == "ClusterRole", where + ": ClusterRoleBinding must bind ClusterRole ksmc")
    sa = (byk.get("ServiceAccount") or [{}])[0]["metadata"]
    check({"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]} in crb.get("subjects", []), where + ": ClusterRoleBinding does not name the ServiceAccount")
    svc = (byk.get("Service") or [{}])[0]
    svc_ports = {p["name"]: p["port"] for p in svc.get("spec", {}).get("ports", [])}
    check(svc_ports == {"http-metrics": 8080, "telemetry": 8081}, where + ": Service ports %r" % svc_ports)
    sm = (byk.get("ServiceMonitor") or [{}])[0]
    eps = {e["port"]: e for e in sm.get("spec", {}).get("endpoints", [])}
    check(set(eps) == set(svc_ports), where + ": ServiceMonitor endpoints %r do not match the Service ports" % sorted(eps))
    check(eps.get("http-metrics", {}).get("honorLabels") is True, where + ": http-metrics endpoint needs honorLabels: true")
    check(sm.get("spec", {}).get("selector", {}).get("matchLabels") == svc.get("metadata", {}).get("labels"), where + ": ServiceMonitor selector does not select the Service")
    workloads = [d for d in docs if d["kind"] in WORKLOADS]
    check(workloads, where + ": no workload")
    for w in workloads:
        check_workload(where, w, svc_ports)
        check(w["metadata"]["namespace"] == sa["namespace"], where + ": workload not in the ServiceAccount's namespace")
        pl = w["spec"]["template"]["metadata"]["labels"]
        check(all(pl.get(k) == v for k, v in svc["spec"]["selector"].items()), where + ": Service does not select %s" % w["metadata"]["name"])
    return byk


def main():
    # 1. Every YAML file parses.
    files = sorted(glob.glob(os.path.join(DEPLOY, "**", "*.yaml"), recursive=True))
    check(len(files) >= 12, "expected the deploy/ tree, found %d YAML files" % len(files))
    for f in files:
        try:
            docs = [d for d in yaml.safe_load_all(open(f)) if d is not None]
            check(docs and all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs), "%s: a document without apiVersion/kind" % f)
        except yaml.YAMLError as e:
            check(False, "%s: %s" % (f, e))
    generated_cr = yaml.safe_load(open(os.path.join(DEPLOY, "rbac", "clusterrole.yaml")))
    cr_resources = {r for rule in generated_cr["rules"] for r in rule["resources"]}

    # 2. The base: one cluster-wide Deployment.
    base = check_rendered("deploy/", kustomize(DEPLOY), generated_cr)
    check([d["kind"] for d in base.get("Deployment", [])] == ["Deployment"] and len(base) == 6, "deploy/: want exactly the 6 base objects, got %s" % sorted(base))
    rendered = {"base": base}

    # 3. Variants (every directory under deploy/variants/).
    variants = sorted(os.path.basename(os.path.dirname(k)) for k in glob.glob(os.path.join(DEPLOY, "variants", "*", "kustomization.yaml")))
    check({"static-shards", "daemonset"} <= set(variants), "variants missing: %r" % variants)
    for v in variants:
        rendered[v] = check_rendered("variants/" + v, kustomize(os.path.join(DEPLOY, "variants", v)), generated_cr)

    a = rendered.get("autosharding", {})
    ss = a.get("StatefulSet", [])
    if a and check(len(ss) == 1 and "Deployment" not in a, "autosharding: want one StatefulSet and no Deployment"):
        ss = ss[0]
        c = ss["spec"]["template"]["spec"]["containers"][0]
        check(arg_value(c, "pod") == "$(POD_NAME)" and arg_value(c, "pod-namespace") == "$(POD_NAMESPACE)", "autosharding: --pod/--pod-namespace must come from $(POD_NAME)/$(POD_NAMESPACE)")
        check(env_field(c, "POD_NAME") == "metadata.name" and env_field(c, "POD_NAMESPACE") == "metadata.namespace", "autosharding: POD_NAME/POD_NAMESPACE must come from the downward API")
        check(arg_value(c, "shard") is None and arg_value(c, "total-shards") is None, "autosharding: --shard/--total-shards must not be set")
        check(ss["spec"].get("replicas", 1) >= 2, "autosharding: the example should run at least 2 shards")
        roles = a.get("Role", [])
        check(len(roles) == 1 and len(a.get("RoleBinding", [])) == 1, "autosharding: want one Role and one RoleBinding")
        if roles:
            role = roles[0]
            check(role["metadata"]["namespace"] == ss["metadata"]["namespace"], "autosharding: the Role must be in the StatefulSet's namespace")
            want = {("", "pods", ("get",), None), ("apps", "statefulsets", ("get", "watch"), (ss["metadata"]["name"],))}
            got = {(g, r, tuple(sorted(rule["verbs"])), tuple(rule["resourceNames"]) if "resourceNames" in rule else None)
                   for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
            check(got == want, "autosharding: Role rules %r, want %r" % (sorted(got, key=str), sorted(want, key=str)))
            rb = a["RoleBinding"][0]
            check(rb["roleRef"]["name"] == role["metadata"]["name"] and rb["subjects"][0]["name"] == "ksmc", "autosharding: RoleBinding must bind the Role to ksmc")

    s = rendered["static-shards"]
    deps = s.get("Deployment", [])
    check(len(deps) == 3, "static-shards: want 3 Deployments, got %d" % len(deps))
    seen = set()
    for d in deps:
        c = d["spec"]["template"]["spec"]["containers"][0]
        seen.add((arg_value(c, "shard"), arg_value(c, "total-shards")))
    check(seen == {("0", "3"), ("1", "3"), ("2", "3")}, "static-shards: shard flags %r" % sorted(seen))
    gen = subprocess.run([sys.executable, os.path.join(DEPLOY, "variants", "static-shards", "generate.py"), "3"], capture_output=True, text=True)
    check(gen.returncode == 0 and gen.stdout == open(os.path.join(DEPLOY, "variants", "static-shards", "shards.yaml")).read(),
          "static-shards: shards.yaml is stale: run deploy/variants/static-shards/generate.py 3 > shards.yaml")
    five = [d for d in yaml.safe_load_all(subprocess.run([sys.executable, os.path.join(DEPLOY, "variants", "static-shards", "generate.py"), "5"], capture_output=True, text=True).stdout) if d]
    check(len(five) == 5 and len({d["metadata"]["name"] for d in five}) == 5, "static-shards: generate.py 5 must give 5 distinct Deployments")

    d = rendered["daemonset"]
    ds = d.get("DaemonSet", [])
    dep = d.get("Deployment", [])
    if check(len(ds) == 1 and len(dep) == 1, "daemonset: want one DaemonSet and one Deployment"):
        c = ds[0]["spec"]["template"]["spec"]["containers"][0]
        check(arg_value(c, "resources") == "pods" and arg_value(c, "node") == "$(NODE_NAME)", "daemonset: the DaemonSet must export pods with --node=$(NODE_NAME)")
        check(env_field(c, "NODE_NAME") == "spec.nodeName", "daemonset: NODE_NAME must come from spec.nodeName")
        dc = dep[0]["spec"]["template"]["spec"]["containers"][0]
        check("--track-unscheduled-pods" in dc.get("args", []) and arg_value(dc, "node") is None and arg_value(dc, "resources") is None,
              "daemonset: the Deployment must export every resource with --track-unscheduled-pods (the pods bound to no node) and no --node")

    # 4. Optional: the workloads against the simulator (server-side dry run).
    if APISIM:
        dry_run(rendered)

    # 5. The Containerfile builds and runs the binary the manifests expect.
    check_containerfile()

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)
    variants = [k for k in rendered if k != "base"]
    print("ok: %d YAML files parse; base and %d variants render; probes, security, resources, RBAC, ports, variants and Containerfile checked" % (len(files), len(variants)))


def check_containerfile():
    path = os.path.join(SRC, "Containerfile")
    if not check(os.path.exists(path), "Containerfile missing"):
        return
    text = open(path).read()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    check(len(froms) >= 2, "Containerfile: want a multi-stage build")
    final = text[text.rfind("\nFROM"):]
    check(re.search(r"^USER\s+65534(:65534)?\s*$", final, re.M), "Containerfile: the runtime stage must run as USER 65534")
    check(re.search(r'^ENTRYPOINT\s+\["/usr/local/bin/ksmc"\]\s*$', final, re.M), 'Containerfile: ENTRYPOINT ["/usr/local/bin/ksmc"] missing')
    check(re.search(r"^COPY\s+--from=\S+\s+\S*/ksmc\s+/usr/local/bin/ksmc\s*$", final, re.M), "Containerfile: the runtime stage must copy the built ksmc to /usr/local/bin/ksmc")
    check("scripts/setup-debian.sh" in text, "Containerfile: the build stage should install with scripts/setup-debian.sh")
    check(not re.search(r"^ADD\s+https?:", text, re.M), "Containerfile: no remote ADD")
    # Every shared library the built ksmc links (except glibc's) comes from a package the
    # runtime stage installs.
    installed = set()
    for m in re.finditer(r"apt-get install([^&]*)", final):
        installed |= {w for w in m.group(1).replace("\\", " ").split() if not w.startswith("-")}
    od = subprocess.run(["objdump", "-p", KSMC], capture_output=True, text=True)
    if check(od.returncode == 0, "objdump -p ksmc failed: " + od.stderr.strip()):
        for lib in re.findall(r"NEEDED\s+(\S+)", od.stdout):
            if lib.startswith(("libc.so", "libm.so", "libpthread.so", "libdl.so", "ld-linux")):
                continue
            path = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
            m = re.search(r"\s%s \(.*?\) => (\S+)" % re.escape(lib), path)
            pkgs = set()
            if m:
                real = os.path.realpath(m.group(1))
                for cand in (m.group(1), real):
                    r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
                    if r.returncode == 0:
                        pkgs |= {line.split(":")[0] for line in r.stdout.splitlines()}
            check(pkgs & installed, "Containerfile: the runtime stage installs none of %r, which provide %s that ksmc links" % (sorted(pkgs), lib))
    for ex in re.findall(r"^EXPOSE\s+(.+)$", final, re.M):
        check(set(ex.split()) == {"8080", "8081"}, "Containerfile: EXPOSE %s, want 8080 8081" % ex)


def dry_run(rendered):
    tmp = tempfile.mkdtemp()
    try:
        p = subprocess.Popen([APISIM, "--port", "0", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = p.stdout.readline()
            m = re.search(r"listening on (\S+)", line)
            if not check(m, "apisim did not start: %r" % line):
                return
            url = m.group(1)
            for name, byk in rendered.items():
                objs = [o for k in ("Service",) + WORKLOADS for o in byk.get(k, [])]
                f = os.path.join(tmp, name + ".yaml")
                with open(f, "w") as fh:
                    yaml.safe_dump_all(objs, fh)
                r = subprocess.run(["kubectl", "--server", url, "--cache-dir", os.path.join(tmp, "cache"), "apply", "--dry-run=server", "-f", f],
                                   capture_output=True, text=True, env=dict(os.environ, HOME=tmp, KUBECONFIG=os.path.join(tmp, "none")))
                check(r.returncode == 0 and r.stdout.count("(server dry run)") == len(objs),
                      "%s: kubectl apply --dry-run=server against apisim: %s%s" % (name, r.stdout, r.stderr))
        finally:
            p.terminate()
            p.wait()
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
