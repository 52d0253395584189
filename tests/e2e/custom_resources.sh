#!/usr/bin/env bash
# End to end for custom resources: apisim serves cert-manager Certificates and Argo CD
# Applications (--crd), objects are created through the API (POST, and kubectl apply),
# ksmc exports the compiled custom specs (--resources=certificates,applications), and
# /metrics must equal `ksmc render` of the simulator's ground truth: after the initial
# sync, after status patches and a delete (the watch path), and with the default
# resources (custom resources are off unless named), and without the CRD (absent: ready,
# one warning, rechecked).
# usage: custom_resources.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"
GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
KUBECTL=${KUBECTL:-kubectl}

start_apisim --crd cert-manager.io/v1/certificates:Certificate \
  --crd argoproj.io/v1alpha1/applications:Application

# discovery lists the custom resources
curl -sf "$SIM/apis" | grep -q '"name":"cert-manager.io"' || fail "/apis lacks cert-manager.io"
curl -sf "$SIM/apis/argoproj.io/v1alpha1" | grep -q '"name":"applications"' ||
  fail "/apis/argoproj.io/v1alpha1 lacks applications"
echo "ok: discovery lists the custom resources"

# post < NDJSON: creates each object in its namespace through the API.
post() {
  python3 -c '
import json, sys, urllib.request
base = sys.argv[1]
for line in sys.stdin:
    o = json.loads(line)
    g, v = o["apiVersion"].split("/")
    plural = {"Certificate": "certificates", "Application": "applications"}[o["kind"]]
    url = f"{base}/apis/{g}/{v}/namespaces/{o['"'"'metadata'"'"']['"'"'namespace'"'"']}/{plural}"
    req = urllib.request.Request(url, json.dumps(o).encode(), {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()' "$SIM" || fail "POST of a custom object"
}
items() { # items FILE...: one object per line
  python3 -c '
import json, sys
for f in sys.argv[1:]:
    o = json.load(open(f))
    for it in (o["items"] if "items" in o else [o]):
        it.get("metadata", {}).pop("uid", None)
        it.get("metadata", {}).pop("resourceVersion", None)
        print(json.dumps(it))' "$@"
}
items "$GOLDEN"/certificate/exact-certificate-{full,list}.json \
  "$GOLDEN"/application/exact-application-{full,list}.json | post

# kubectl apply of a custom object (server-side validation, discovery from apisim)
cat >"$E2E_TMP/cert.yaml" <<'YAML'
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: applied
  namespace: staging
spec:
  secretName: applied-tls
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
YAML
timeout 60 "$KUBECTL" --server="$SIM" --cache-dir="$E2E_TMP/kcache" apply -f "$E2E_TMP/cert.yaml" \
  >"$E2E_TMP/apply.txt" 2>&1 || { cat "$E2E_TMP/apply.txt" >&2; fail "kubectl apply of a Certificate"; }
grep -q "certificate.cert-manager.io/applied created" "$E2E_TMP/apply.txt" ||
  { cat "$E2E_TMP/apply.txt" >&2; fail "kubectl apply did not create the Certificate"; }
echo "ok: kubectl apply creates a Certificate"

n=$(curl -sf "$SIM/_sim/objects?resource=certificates" | wc -l)
[ "$n" = 5 ] || fail "simulator holds $n certificates, want 5"

# self_metric_shows PORT REGEX: the telemetry endpoint shows a line matching REGEX within
# 5 s. The ingest self-metrics are refreshed once a second, so a scrape right after /readyz
# may come before the first refresh.
self_metric_shows() {
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$1/metrics" >"$E2E_TMP/self.prom" || fail "scrape self-metrics"
    grep -q "$2" "$E2E_TMP/self.prom" && return 0
    sleep 0.1
  done
  return 1
}

RESOURCES="certificates applications"
start_ksmc main
wait_ready main
metrics_equal main
grep -q '^kube_customresource_certificate_ready_status{.*name="web-tls".*status="True"} 1$' \
  "$E2E_TMP/got.prom" || fail "web-tls is not Ready in /metrics"
grep -q '^kube_customresource_application_resources{.*name="guestbook".*sync_status="OutOfSync"} 2$' \
  "$E2E_TMP/got.prom" || fail "guestbook's OutOfSync resource count is not 2"
self_metric_shows "$TPORT_main" '^ksmc_resource_absent{resource="certificates"} 0$' ||
  fail "ksmc_resource_absent is not 0 for a served custom resource"
echo "ok: initial sync equals ground truth ($(wc -l <"$E2E_TMP/got.prom") lines)"

# status changes and a delete arrive through the watch
curl -sf -X PATCH -H 'Content-Type: application/merge-patch+json' \
  -d '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"Renewing"}]}}' \
  "$SIM/apis/cert-manager.io/v1/namespaces/prod/certificates/web-tls" >/dev/null || fail "PATCH"
curl -sf -X PATCH -H 'Content-Type: application/merge-patch+json' \
  -d '{"status":{"sync":{"status":"Synced"},"health":{"status":"Healthy"}}}' \
  "$SIM/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook" >/dev/null || fail "PATCH"
curl -sf -X DELETE "$SIM/apis/argoproj.io/v1alpha1/namespaces/team-a/applications/odd" \
  >/dev/null || fail "DELETE"
metrics_equal main
grep -q '^kube_customresource_certificate_ready_status{.*name="web-tls".*status="False"} 1$' \
  "$E2E_TMP/got.prom" || fail "web-tls did not turn not-Ready"
grep -q 'name="odd"' "$E2E_TMP/got.prom" && fail "deleted application still exported"
echo "ok: patches and a delete equal ground truth"

# Without --resources, ksmc exports KSM's default set: no custom resource.
"$KSMC" --apiserver "$SIM" --port 0 --telemetry-port 0 --host 127.0.0.1 \
  --telemetry-host 127.0.0.1 2>"$E2E_TMP/default.log" &
E2E_PIDS+=($!)
for _ in $(seq 100); do
  grep -q 'serving /metrics on port' "$E2E_TMP/default.log" && break
  sleep 0.1
done
port=$(grep -m1 'serving /metrics on port' "$E2E_TMP/default.log" | sed 's/.*on port \([0-9]*\),.*/\1/')
[ -n "$port" ] || { cat "$E2E_TMP/default.log" >&2; fail "ksmc with default resources did not start"; }
sleep 1
curl -sf "http://127.0.0.1:$port/metrics" >"$E2E_TMP/default.prom" || fail "scrape default"
grep -q kube_customresource "$E2E_TMP/default.prom" && fail "custom resources exported by default"
grep -q '^kube_namespace_created' "$E2E_TMP/default.prom" || fail "default resources not exported"
echo "ok: custom resources are off by default"

# A custom resource whose CRD is not installed: ksmc becomes ready without it, warns once,
# exports nothing for it and looks again every KSMC_ABSENT_RECHECK_MS (30 s by default).
start_apisim
RESOURCES="certificates namespaces"
KSMC_ABSENT_RECHECK_MS=200 start_ksmc nocrd --log-level debug
wait_ready nocrd
sleep 1
log=$E2E_TMP/ksmc-nocrd.log
[ "$(grep -c 'certificates: not served by the API server (HTTP 404' "$log")" = 1 ] ||
  { cat "$log" >&2; fail "want exactly one 'not served' warning for certificates"; }
[ "$(grep -c 'certificates: still not served; checking again in 0.2 s' "$log")" -ge 2 ] ||
  { cat "$log" >&2; fail "the absent CRD is not looked for again"; }
grep -q 'certificates: list failed' "$log" && fail "a missing CRD is logged as a failed list"
curl -sf "http://127.0.0.1:$PORT_nocrd/metrics" >"$E2E_TMP/nocrd.prom" || fail "scrape nocrd"
grep -q kube_customresource "$E2E_TMP/nocrd.prom" && fail "series for a CRD that does not exist"
grep -q '^kube_namespace_created' "$E2E_TMP/nocrd.prom" || fail "namespaces not exported"
self_metric_shows "$TPORT_nocrd" '^ksmc_resource_absent{resource="certificates"} 1$' ||
  fail "ksmc_resource_absent is not 1 for certificates"
echo "ok: a missing CRD does not block /readyz, warns once and is looked for again"
echo "custom_resources: 1 passed, 0 failed"
