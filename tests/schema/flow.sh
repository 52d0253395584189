#!/bin/sh
# The CI flow of docs/ci.md on two real versions of specs/: the base is a copy of specs/,
# the pull request edits another copy the way spec authors do. Checks the diff from
# directories and from the base's schema JSON artifact, its exit status with and without
# --allow / --allow-file, the Markdown comment, and that docs and RBAC follow the specs.
# usage: flow.sh KSMC_GEN   (run from the repository root)
set -u
gen=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect FILE TEXT
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks: $2"; }
}

cp -r specs "$tmp/base"
cp -r specs "$tmp/pr"
pod=$tmp/pr/pod.yaml node=$tmp/pr/node.yaml
edit() { # edit FILE SED-SCRIPT: applies it and fails when it changed nothing
  cp "$1" "$tmp/before"
  sed -i "$2" "$1"
  cmp -s "$1" "$tmp/before" && fail "edit '$2' changed nothing in $1"
}
# 1. a stable family loses a label (breaking)
edit "$pod" '/^      host_network: format_bool(.spec.hostNetwork)$/d'
# 2. a typo fix in a help text (safe)
edit "$node" 's/^    help: Unix creation timestamp$/    help: Unix creation timestamp./'
# 3. the opt-in family kube_pod_nodeselectors becomes default-enabled (risky)
edit "$pod" '/^  - name: kube_pod_nodeselectors$/,/^  - name:/{/^    opt_in: true$/d}'
# 4. a new family (safe)
cat >>"$node" <<'YAML'

  - name: kube_node_status_pods_capacity
    type: gauge
    stability: alpha
    help: Pod capacity of a node.
    value: quantity_int(.status.capacity.pods)
YAML
# 5. a stable family renamed (breaking)
edit "$pod" 's/^  - name: kube_pod_status_phase$/  - name: kube_pod_phase/'

# Dir against dir.
"$gen" diff "$tmp/base" "$tmp/pr" >"$tmp/out.txt" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || { cat "$tmp/out.txt" "$tmp/err" >&2; fail "diff exit $rc, want 1"; }
line=$(grep -n '^  - name: kube_pod_info$' "$pod" | cut -d: -f1)
expect "$tmp/out.txt" "pod.yaml:$line: breaking: kube_pod_info: label 'host_network' removed"
expect "$tmp/out.txt" "breaking: kube_pod_phase: family renamed from kube_pod_status_phase"
expect "$tmp/out.txt" "risky: kube_pod_nodeselectors: opt-in family now enabled by default"
expect "$tmp/out.txt" "safe: kube_node_created: help edited (1 character)"
expect "$tmp/out.txt" "safe: kube_node_status_pods_capacity: family added"
expect "$tmp/out.txt" "2 breaking, 1 risky, 2 safe: breaking changes found"
[ "$(wc -l <"$tmp/err")" = 0 ] || fail "diff wrote to stderr: $(cat "$tmp/err")"

# The base as a release artifact (schema JSON), the PR as a checkout: same report.
"$gen" schema --format json "$tmp/base" >"$tmp/base.json" || fail "schema --format json"
"$gen" diff "$tmp/base.json" "$tmp/pr" >"$tmp/out2.txt"
[ $? = 1 ] || fail "diff from json: exit status"
cmp "$tmp/out.txt" "$tmp/out2.txt" || fail "diff from the JSON artifact differs from dir diff"

# The PR comment.
"$gen" diff --format markdown --out "$tmp/comment.md" "$tmp/base.json" "$tmp/pr"
[ $? = 1 ] || fail "markdown diff: exit status"
expect "$tmp/comment.md" ":x: **2 breaking** · 1 risky · 2 safe"
expect "$tmp/comment.md" "| :x: breaking | <code>kube_pod_info</code> | label 'host_network' removed"

# JSON report for tools.
"$gen" diff --format json "$tmp/base" "$tmp/pr" >"$tmp/out.json"
expect "$tmp/out.json" '"counts": {"breaking": 2, "allowed": 0, "risky": 1, "safe": 2}'

# Accepting the breaks: flags, then an allow file.
"$gen" diff --allow kube_pod_info --allow kube_pod_status_phase "$tmp/base" "$tmp/pr" >"$tmp/out3.txt"
rc=$?
[ $rc = 0 ] || { cat "$tmp/out3.txt" >&2; fail "diff --allow exit $rc, want 0"; }
expect "$tmp/out3.txt" "0 breaking (+2 allowed), 1 risky, 2 safe"
printf '# accepted in this release\nkube_pod_info  # host_network moved\nkube_pod_phase\n' >"$tmp/allow"
"$gen" diff --allow-file "$tmp/allow" "$tmp/base" "$tmp/pr" >/dev/null || fail "--allow-file"
printf 'kube_pod_info\n' >"$tmp/allow1"
"$gen" diff --allow-file "$tmp/allow1" "$tmp/base" "$tmp/pr" >/dev/null
[ $? = 1 ] || fail "a partial allow file must still fail"

# Usage and input errors exit 2.
"$gen" diff "$tmp/base" >/dev/null 2>&1
[ $? = 2 ] || fail "diff with one input must exit 2"
"$gen" diff --format yaml "$tmp/base" "$tmp/pr" >/dev/null 2>&1
[ $? = 2 ] || fail "unknown --format must exit 2"
echo '{"ksmc_metric_schema": 1, "kinds": [' >"$tmp/broken.json"
"$gen" diff "$tmp/broken.json" "$tmp/pr" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "broken JSON must exit 2"
expect "$tmp/err" "broken.json:2:1: error: unexpected end of input"

# Docs and RBAC follow the specs.
"$gen" docs --out "$tmp/docs" "$tmp/pr" || fail "docs"
expect "$tmp/docs/node.md" '| `kube_node_status_pods_capacity` | gauge | ALPHA |  | Pod capacity of a node. |  |'
families=$(grep -c '^  - name: ' "$node")
expect "$tmp/docs/README.md" "| Node | \`nodes\` (core/v1) | $families |"
"$gen" rbac "$tmp/pr" >"$tmp/role.yaml" || fail "rbac"
"$gen" rbac "$tmp/base" >"$tmp/base-role.yaml" || fail "rbac"
grep -v '^#' "$tmp/role.yaml" >"$tmp/a" && grep -v '^#' "$tmp/base-role.yaml" >"$tmp/b" &&
  cmp "$tmp/a" "$tmp/b" || fail "no resource changed, yet the role did"
expect "$tmp/role.yaml" "      - nodes"
echo "ok: the CI flow on two versions of specs/"
