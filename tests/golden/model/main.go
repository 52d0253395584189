package main

// Independent model of kube-state-metrics v2.20 Node/Pod exposition, written from
// KSM's internal/store/{node,pod,utils}.go semantics and shared/ksm-catalogue.tsv.
// Usage: ksm-model <tsv> pods|nodes <input.json> [args...]

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type Sample struct {
	Keys   []string
	Values []string
	Value  float64
}

type FamilyDef struct {
	Name, Type, Stability, Enabled, Labels, Help string
}

type Opts struct {
	LabelsAllow      map[string][]string
	AnnotationsAllow map[string][]string
	OptIn            []string
	AllFamilies      bool
}

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(2)
}

func loadTSV(path, resource string) []FamilyDef {
	b, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	var out []FamilyDef
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if f[0] != resource {
			continue
		}
		out = append(out, FamilyDef{f[1], f[2], f[3], f[4], f[5], f[6]})
	}
	return out
}

// parseAllowList parses KSM's LabelsAllowList flag grammar: res=[k1,k2],res2=[*]
func parseAllowList(s string) map[string][]string {
	m := map[string][]string{}
	s = strings.TrimSpace(s)
	for len(s) > 0 {
		eq := strings.Index(s, "=[")
		if eq < 0 {
			die("bad allowlist %q", s)
		}
		res := strings.TrimSpace(s[:eq])
		rest := s[eq+2:]
		cl := strings.Index(rest, "]")
		if cl < 0 {
			die("bad allowlist %q", s)
		}
		var items []string
		for _, it := range strings.Split(rest[:cl], ",") {
			it = strings.TrimSpace(it)
			if it != "" {
				items = append(items, it)
			}
		}
		m[res] = items
		s = strings.TrimPrefix(strings.TrimSpace(rest[cl+1:]), ",")
	}
	return m
}

func readObjects(path string) []json.RawMessage {
	b, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var vals []json.RawMessage
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			die("%s: %v", path, err)
		}
		vals = append(vals, raw)
	}
	var objs []json.RawMessage
	for _, v := range vals {
		var probe struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(v, &probe); err != nil {
			die("%v", err)
		}
		if strings.HasSuffix(probe.Kind, "List") {
			objs = append(objs, probe.Items...)
		} else {
			objs = append(objs, v)
		}
	}
	return objs
}

// ---- utils.go ----

var invalidLabelCharRE = regexp.MustCompile(`[^a-zA-Z0-9_]`)
var matchAllCap = regexp.MustCompile("([a-z0-9])([A-Z])")

func SanitizeLabelName(s string) string { return invalidLabelCharRE.ReplaceAllString(s, "_") }
func toSnakeCase(s string) string {
	return strings.ToLower(matchAllCap.ReplaceAllString(s, "${1}_${2}"))
}
func labelName(prefix, k string) string { return prefix + "_" + toSnakeCase(SanitizeLabelName(k)) }

func mapToPrometheusLabels(keys []string, m map[string]string, prefix string) ([]string, []string) {
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	type cd struct{ count, initial int }
	conflicts := map[string]*cd{}
	var lk, lv []string
	for _, k := range sorted {
		name := labelName(prefix, k)
		if c, ok := conflicts[name]; ok {
			if c.count == 1 {
				lk[c.initial] = fmt.Sprintf("%s_conflict%d", lk[c.initial], c.count)
			}
			c.count++
			name = fmt.Sprintf("%s_conflict%d", name, c.count)
		} else {
			conflicts[name] = &cd{1, len(lk)}
		}
		lk = append(lk, name)
		lv = append(lv, m[k])
	}
	return lk, lv
}

func createPrometheusLabelKeysValues(prefix string, om OMap, allow []string) ([]string, []string) {
	if len(allow) > 0 && allow[0] == "*" {
		return mapToPrometheusLabels(om.Keys, om.M, prefix)
	}
	sel := map[string]bool{}
	for _, l := range allow {
		if strings.Contains(l, "*") {
			i := strings.Index(l, "*")
			re := regexp.MustCompile("^" + regexp.QuoteMeta(l[:i]) + ".*" + regexp.QuoteMeta(l[i+1:]) + "$")
			for _, k := range om.Keys {
				if re.MatchString(k) {
					sel[k] = true
				}
			}
		} else if _, ok := om.M[l]; ok {
			sel[l] = true
		}
	}
	var keys []string
	for _, k := range om.Keys {
		if sel[k] {
			keys = append(keys, k)
		}
	}
	return mapToPrometheusLabels(keys, om.M, prefix)
}

func boolFloat64(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func s(keys []string, vals []string, v float64) Sample { return Sample{keys, vals, v} }
func L(k ...string) []string                           { return k }

func condMetrics(status string) [][2]interface{} {
	return [][2]interface{}{{"true", boolFloat64(status == "True")}, {"false", boolFloat64(status == "False")}, {"unknown", boolFloat64(status == "Unknown")}}
}

func isHugePage(n string) bool   { return strings.HasPrefix(n, "hugepages-") }
func isAttachable(n string) bool { return strings.HasPrefix(n, "attachable-volumes-") }

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
var qualifiedName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)

func isDNS1123Subdomain(v string) bool {
	if len(v) > 253 {
		return false
	}
	return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`).MatchString(v)
}

func isQualifiedName(v string) bool {
	parts := strings.Split(v, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		prefix := parts[0]
		name = parts[1]
		if len(prefix) == 0 || !isDNS1123Subdomain(prefix) {
			return false
		}
	default:
		return false
	}
	if len(name) == 0 || len(name) > 63 || !qualifiedName.MatchString(name) {
		return false
	}
	return true
}

func isNativeResource(n string) bool {
	return !strings.Contains(n, "/") || strings.Contains(n, "kubernetes.io/")
}

func isExtendedResourceName(n string) bool {
	if isNativeResource(n) || strings.HasPrefix(n, "requests.") {
		return false
	}
	return isQualifiedName("requests." + n)
}

// ---- nodes ----

func nodeFamilies(n *Node, o Opts) map[string][]Sample {
	f := map[string][]Sample{}
	if al := o.AnnotationsAllow["nodes"]; len(al) > 0 {
		k, v := createPrometheusLabelKeysValues("annotation", n.Metadata.Annotations, al)
		f["kube_node_annotations"] = []Sample{s(k, v, 1)}
	}
	if !n.Metadata.CreationTimestamp.IsZero() {
		f["kube_node_created"] = []Sample{s(nil, nil, float64(n.Metadata.CreationTimestamp.Unix()))}
	}
	if n.Metadata.DeletionTimestamp != nil && !n.Metadata.DeletionTimestamp.IsZero() {
		f["kube_node_deletion_timestamp"] = []Sample{s(nil, nil, float64(n.Metadata.DeletionTimestamp.Unix()))}
	}
	internalIP := ""
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			internalIP = a.Address
		}
	}
	ni := n.Status.NodeInfo
	f["kube_node_info"] = []Sample{s(L("kernel_version", "os_image", "container_runtime_version", "kubelet_version", "kubeproxy_version", "provider_id", "pod_cidr", "system_uuid", "internal_ip"),
		L(ni.KernelVersion, ni.OSImage, ni.ContainerRuntimeVersion, ni.KubeletVersion, "deprecated", n.Spec.ProviderID, n.Spec.PodCIDR, ni.SystemUUID, internalIP), 1)}
	if al := o.LabelsAllow["nodes"]; len(al) > 0 {
		k, v := createPrometheusLabelKeysValues("label", n.Metadata.Labels, al)
		f["kube_node_labels"] = []Sample{s(k, v, 1)}
	}
	for _, k := range n.Metadata.Labels.Keys {
		if strings.HasPrefix(k, "node-role.kubernetes.io/") {
			f["kube_node_role"] = append(f["kube_node_role"], s(L("role"), L(strings.TrimPrefix(k, "node-role.kubernetes.io/")), 1))
		}
	}
	for _, c := range n.Spec.PodCIDRs {
		f["kube_node_spec_pod_cidrs"] = append(f["kube_node_spec_pod_cidrs"], s(L("pod_cidr"), L(c), 1))
	}
	for _, t := range n.Spec.Taints {
		f["kube_node_spec_taint"] = append(f["kube_node_spec_taint"], s(L("key", "value", "effect"), L(t.Key, t.Value, t.Effect), 1))
	}
	f["kube_node_spec_unschedulable"] = []Sample{s(nil, nil, boolFloat64(n.Spec.Unschedulable))}
	f["kube_node_status_allocatable"] = nodeResources(n.Status.Allocatable)
	f["kube_node_status_capacity"] = nodeResources(n.Status.Capacity)
	for _, c := range n.Status.Conditions {
		for _, cm := range condMetrics(c.Status) {
			f["kube_node_status_condition"] = append(f["kube_node_status_condition"], s(L("condition", "status"), L(c.Type, cm[0].(string)), cm[1].(float64)))
		}
	}
	for _, a := range n.Status.Addresses {
		f["kube_node_status_addresses"] = append(f["kube_node_status_addresses"], s(L("type", "address"), L(a.Type, a.Address), 1))
	}
	return f
}

func nodeResources(rl RList) []Sample {
	var ms []Sample
	add := func(name, unit string, q Quantity) {
		ms = append(ms, s(L("resource", "unit"), L(SanitizeLabelName(name), unit), convertValueToFloat64(q)))
	}
	for _, it := range rl {
		switch it.Name {
		case "cpu":
			add(it.Name, "core", it.Q)
		case "storage", "ephemeral-storage", "memory":
			add(it.Name, "byte", it.Q)
		case "pods":
			add(it.Name, "integer", it.Q)
		default:
			if isHugePage(it.Name) {
				add(it.Name, "byte", it.Q)
			}
			if isAttachable(it.Name) {
				add(it.Name, "byte", it.Q)
			}
			if isExtendedResourceName(it.Name) {
				add(it.Name, "integer", it.Q)
			}
		}
	}
	return ms
}

// ---- pods ----

func containerResources(cs []Container, node string, limits bool) []Sample {
	var ms []Sample
	for _, c := range cs {
		rl := c.Resources.Requests
		if limits {
			rl = c.Resources.Limits
		}
		add := func(name, unit string, v float64) {
			ms = append(ms, s(L("container", "node", "resource", "unit"), L(c.Name, node, SanitizeLabelName(name), unit), v))
		}
		for _, it := range rl {
			switch it.Name {
			case "cpu":
				add(it.Name, "core", convertValueToFloat64(it.Q))
			case "storage", "ephemeral-storage", "memory":
				add(it.Name, "byte", float64(it.Q.Value()))
			default:
				if isHugePage(it.Name) {
					add(it.Name, "byte", float64(it.Q.Value()))
				}
				if isAttachable(it.Name) {
					add(it.Name, "byte", float64(it.Q.Value()))
				}
				if isExtendedResourceName(it.Name) {
					add(it.Name, "integer", float64(it.Q.Value()))
				}
			}
		}
	}
	return ms
}

func containerFamilies(f map[string][]Sample, pre string, specs []Container, sts []ContainerStatus, node string, init bool) {
	for _, c := range specs {
		for _, cs := range sts {
			if cs.Name != c.Name {
				continue
			}
			if init {
				rp := ""
				if c.RestartPolicy != nil {
					rp = *c.RestartPolicy
				}
				f[pre+"info"] = append(f[pre+"info"], s(L("container", "image_spec", "image", "image_id", "container_id", "restart_policy"), L(cs.Name, c.Image, cs.Image, cs.ImageID, cs.ContainerID, rp), 1))
			} else {
				f[pre+"info"] = append(f[pre+"info"], s(L("container", "image_spec", "image", "image_id", "container_id"), L(cs.Name, c.Image, cs.Image, cs.ImageID, cs.ContainerID), 1))
			}
		}
	}
	f[pre+"resource_limits"] = containerResources(specs, node, true)
	f[pre+"resource_requests"] = containerResources(specs, node, false)
	C := L("container")
	for _, cs := range sts {
		if cs.State.Running != nil {
			f[pre+"state_started"] = append(f[pre+"state_started"], s(C, L(cs.Name), float64(cs.State.Running.StartedAt.Unix())))
		} else if cs.State.Terminated != nil {
			f[pre+"state_started"] = append(f[pre+"state_started"], s(C, L(cs.Name), float64(cs.State.Terminated.StartedAt.Unix())))
		}
		if lt := cs.LastTerminationState.Terminated; lt != nil {
			f[pre+"status_last_terminated_reason"] = append(f[pre+"status_last_terminated_reason"], s(L("container", "reason"), L(cs.Name, lt.Reason), 1))
			f[pre+"status_last_terminated_exitcode"] = append(f[pre+"status_last_terminated_exitcode"], s(C, L(cs.Name), float64(lt.ExitCode)))
			f[pre+"status_last_terminated_timestamp"] = append(f[pre+"status_last_terminated_timestamp"], s(C, L(cs.Name), float64(lt.FinishedAt.Unix())))
		}
		f[pre+"status_ready"] = append(f[pre+"status_ready"], s(C, L(cs.Name), boolFloat64(cs.Ready)))
		f[pre+"status_restarts_total"] = append(f[pre+"status_restarts_total"], s(C, L(cs.Name), float64(cs.RestartCount)))
		f[pre+"status_running"] = append(f[pre+"status_running"], s(C, L(cs.Name), boolFloat64(cs.State.Running != nil)))
		f[pre+"status_terminated"] = append(f[pre+"status_terminated"], s(C, L(cs.Name), boolFloat64(cs.State.Terminated != nil)))
		if cs.State.Terminated != nil {
			f[pre+"status_terminated_reason"] = append(f[pre+"status_terminated_reason"], s(L("container", "reason"), L(cs.Name, cs.State.Terminated.Reason), 1))
		}
		f[pre+"status_waiting"] = append(f[pre+"status_waiting"], s(C, L(cs.Name), boolFloat64(cs.State.Waiting != nil)))
		if cs.State.Waiting != nil {
			f[pre+"status_waiting_reason"] = append(f[pre+"status_waiting_reason"], s(L("container", "reason"), L(cs.Name, cs.State.Waiting.Reason), 1))
		}
	}
}

var podStatusReasons = []string{"Evicted", "NodeAffinity", "NodeLost", "PreemptionByScheduler", "SchedulingGated", "Shutdown", "TerminationByKubelet", "UnexpectedAdmissionError"}
var podDisruptionReasons = []string{"PreemptionByScheduler", "DeletionByTaintManager", "EvictionByEvictionAPI", "DeletionByPodGC", "TerminationByKubelet"}

func contains(l []string, x string) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

func podFamilies(p *Pod, o Opts) map[string][]Sample {
	f := map[string][]Sample{}
	st := &p.Status
	sp := &p.Spec
	var last float64
	for _, cs := range st.ContainerStatuses {
		if cs.State.Terminated != nil {
			t := float64(cs.State.Terminated.FinishedAt.Unix())
			if last == 0 || last < t {
				last = t
			}
		}
	}
	if last > 0 {
		f["kube_pod_completion_time"] = []Sample{s(nil, nil, last)}
	}
	m := map[string][]Sample{}
	containerFamilies(m, "kube_pod_container_", sp.Containers, st.ContainerStatuses, sp.NodeName, false)
	containerFamilies(m, "kube_pod_init_container_", sp.InitContainers, st.InitContainerStatuses, sp.NodeName, true)
	for k, v := range m {
		f[k] = v
	}
	if !p.Metadata.CreationTimestamp.IsZero() {
		f["kube_pod_created"] = []Sample{s(nil, nil, float64(p.Metadata.CreationTimestamp.Unix()))}
	}
	if p.Metadata.DeletionTimestamp != nil && !p.Metadata.DeletionTimestamp.IsZero() {
		f["kube_pod_deletion_timestamp"] = []Sample{s(nil, nil, float64(p.Metadata.DeletionTimestamp.Unix()))}
	}
	ck, cn := "", ""
	for _, r := range p.Metadata.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			ck, cn = r.Kind, r.Name
			break
		}
	}
	f["kube_pod_info"] = []Sample{s(L("host_ip", "pod_ip", "node", "created_by_kind", "created_by_name", "priority_class", "host_network"),
		L(st.HostIP, st.PodIP, sp.NodeName, ck, cn, sp.PriorityClassName, strconv.FormatBool(sp.HostNetwork)), 1)}
	for _, ip := range st.PodIPs {
		a, err := netip.ParseAddr(ip.IP)
		if err != nil {
			continue
		}
		fam := "6"
		if a.Is4() || a.Is4In6() {
			fam = "4"
		}
		f["kube_pod_ips"] = append(f["kube_pod_ips"], s(L("ip", "ip_family"), L(ip.IP, fam), 1))
	}
	if al := o.AnnotationsAllow["pods"]; len(al) > 0 {
		k, v := createPrometheusLabelKeysValues("annotation", p.Metadata.Annotations, al)
		f["kube_pod_annotations"] = []Sample{s(k, v, 1)}
	}
	if al := o.LabelsAllow["pods"]; len(al) > 0 {
		k, v := createPrometheusLabelKeysValues("label", p.Metadata.Labels, al)
		f["kube_pod_labels"] = []Sample{s(k, v, 1)}
	}
	for _, it := range sp.Overhead {
		if it.Name == "cpu" {
			f["kube_pod_overhead_cpu_cores"] = append(f["kube_pod_overhead_cpu_cores"], s(nil, nil, convertValueToFloat64(it.Q)))
		}
		if it.Name == "memory" {
			f["kube_pod_overhead_memory_bytes"] = append(f["kube_pod_overhead_memory_bytes"], s(nil, nil, float64(it.Q.Value())))
		}
	}
	ok := L("owner_kind", "owner_name", "owner_is_controller")
	if len(p.Metadata.OwnerReferences) == 0 {
		f["kube_pod_owner"] = []Sample{s(ok, L("", "", ""), 1)}
	}
	for _, r := range p.Metadata.OwnerReferences {
		c := "false"
		if r.Controller != nil {
			c = strconv.FormatBool(*r.Controller)
		}
		f["kube_pod_owner"] = append(f["kube_pod_owner"], s(ok, L(r.Kind, r.Name, c), 1))
	}
	for _, rc := range sp.ResourceClaims {
		// TSV: resourceclaim_template_name = .resourceClaimTemplateName or "", whether or not
		// resourceClaimName is set too (the API server rejects both; diff_fuzz found it).
		var name, tmpl string
		if rc.ResourceClaimTemplateName != nil {
			tmpl = *rc.ResourceClaimTemplateName
		}
		if rc.ResourceClaimName != nil {
			name = *rc.ResourceClaimName
		} else if rc.ResourceClaimTemplateName != nil {
			for _, rs := range st.ResourceClaimStatuses {
				if rs.Name == rc.Name && rs.ResourceClaimName != nil {
					name = *rs.ResourceClaimName
				}
			}
		} else {
			continue
		}
		f["kube_pod_resourceclaim_info"] = append(f["kube_pod_resourceclaim_info"], s(L("claim_name", "resourceclaim_name", "resourceclaim_template_name"), L(rc.Name, name, tmpl), 1))
	}
	f["kube_pod_restart_policy"] = []Sample{s(L("type"), L(sp.RestartPolicy), 1)}
	if sp.RuntimeClassName != nil {
		f["kube_pod_runtimeclass_name_info"] = []Sample{s(L("runtimeclass_name"), L(*sp.RuntimeClassName), 1)}
	}
	vk := L("volume", "persistentvolumeclaim", "ephemeral")
	for _, v := range sp.Volumes {
		if v.PersistentVolumeClaim != nil {
			f["kube_pod_spec_volumes_persistentvolumeclaims_info"] = append(f["kube_pod_spec_volumes_persistentvolumeclaims_info"], s(vk, L(v.Name, v.PersistentVolumeClaim.ClaimName, "false"), 1))
			f["kube_pod_spec_volumes_persistentvolumeclaims_readonly"] = append(f["kube_pod_spec_volumes_persistentvolumeclaims_readonly"], s(vk, L(v.Name, v.PersistentVolumeClaim.ClaimName, "false"), boolFloat64(v.PersistentVolumeClaim.ReadOnly)))
		} else if v.Ephemeral != nil {
			pvc := p.Metadata.Name + "-" + v.Name
			f["kube_pod_spec_volumes_persistentvolumeclaims_info"] = append(f["kube_pod_spec_volumes_persistentvolumeclaims_info"], s(vk, L(v.Name, pvc, "true"), 1))
			f["kube_pod_spec_volumes_persistentvolumeclaims_readonly"] = append(f["kube_pod_spec_volumes_persistentvolumeclaims_readonly"], s(vk, L(v.Name, pvc, "true"), 0))
		}
	}
	// TSV: "no sample if unset": only nil counts, a zero time is a value (diff_fuzz).
	if st.StartTime != nil {
		f["kube_pod_start_time"] = []Sample{s(nil, nil, float64(st.StartTime.Unix()))}
	}
	if st.Phase != "" {
		for _, ph := range L("Pending", "Succeeded", "Failed", "Unknown", "Running") {
			f["kube_pod_status_phase"] = append(f["kube_pod_status_phase"], s(L("phase"), L(ph), boolFloat64(st.Phase == ph)))
		}
	}
	if st.QOS != "" {
		for _, q := range L("BestEffort", "Burstable", "Guaranteed") {
			f["kube_pod_status_qos_class"] = append(f["kube_pod_status_qos_class"], s(L("qos_class"), L(q), boolFloat64(st.QOS == q)))
		}
	}
	for _, c := range st.Conditions {
		lt := float64(c.LastTransitionTime.Unix())
		switch c.Type {
		case "Ready":
			for _, cm := range condMetrics(c.Status) {
				f["kube_pod_status_ready"] = append(f["kube_pod_status_ready"], s(L("condition"), L(cm[0].(string)), cm[1].(float64)))
			}
			if c.Status == "True" {
				f["kube_pod_status_ready_time"] = append(f["kube_pod_status_ready_time"], s(nil, nil, lt))
			}
		case "Initialized":
			if c.Status == "True" {
				f["kube_pod_status_initialized_time"] = append(f["kube_pod_status_initialized_time"], s(nil, nil, lt))
			}
		case "ContainersReady":
			if c.Status == "True" {
				f["kube_pod_status_container_ready_time"] = append(f["kube_pod_status_container_ready_time"], s(nil, nil, lt))
			}
		case "PodScheduled":
			for _, cm := range condMetrics(c.Status) {
				f["kube_pod_status_scheduled"] = append(f["kube_pod_status_scheduled"], s(L("condition"), L(cm[0].(string)), cm[1].(float64)))
			}
			if c.Status == "True" {
				f["kube_pod_status_scheduled_time"] = append(f["kube_pod_status_scheduled_time"], s(nil, nil, lt))
			}
			if c.Status == "False" {
				f["kube_pod_status_unschedulable"] = append(f["kube_pod_status_unschedulable"], s(nil, nil, 1))
				f["kube_pod_status_unscheduled_time"] = append(f["kube_pod_status_unscheduled_time"], s(nil, nil, lt))
			}
		case "DisruptionTarget":
			r := c.Reason
			if !contains(podDisruptionReasons, r) {
				r = "Other"
			}
			f["kube_pod_status_disruption_reason"] = append(f["kube_pod_status_disruption_reason"], s(L("reason"), L(r), 1))
		}
	}
	for _, r := range podStatusReasons {
		present := st.Reason == r
		for _, c := range st.Conditions {
			if c.Reason == r {
				present = true
			}
		}
		for _, cs := range st.ContainerStatuses {
			if cs.State.Terminated != nil && cs.State.Terminated.Reason == r {
				present = true
			}
		}
		if present {
			f["kube_pod_status_reason"] = append(f["kube_pod_status_reason"], s(L("reason"), L(r), 1))
		}
	}
	if st.Reason != "" && !contains(podStatusReasons, st.Reason) {
		f["kube_pod_status_reason"] = append(f["kube_pod_status_reason"], s(L("reason"), L("Other"), 1))
	}
	seen := map[[5]string]bool{}
	for _, t := range sp.Tolerations {
		ts := ""
		if t.TolerationSeconds != nil {
			ts = strconv.FormatInt(*t.TolerationSeconds, 10)
		}
		key := [5]string{t.Key, t.Operator, t.Value, t.Effect, ts}
		if seen[key] {
			continue
		}
		seen[key] = true
		f["kube_pod_tolerations"] = append(f["kube_pod_tolerations"], s(L("key", "operator", "value", "effect", "toleration_seconds"), key[:], 1))
	}
	{
		k, v := mapToPrometheusLabels(sp.NodeSelector.Keys, sp.NodeSelector.M, "nodeselector")
		f["kube_pod_nodeselectors"] = []Sample{s(k, v, 1)}
	}
	f["kube_pod_service_account"] = []Sample{s(L("service_account"), L(sp.ServiceAccountName), 1)}
	f["kube_pod_scheduler"] = []Sample{s(L("name"), L(sp.SchedulerName), 1)}
	return f
}

// ---- exposition ----

var escaper = strings.NewReplacer("\\", `\\`, "\n", `\n`, "\"", `\"`)

func formatValue(v float64) string {
	switch v {
	case 1:
		return "1"
	case 0:
		return "0"
	case -1:
		return "-1"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// checkLabels verifies a sample's dynamic label keys against the TSV labels column.
func checkLabels(fd FamilyDef, keys []string) {
	want := strings.Split(fd.Labels, ",")
	i := 0
	for _, w := range want {
		if strings.HasSuffix(w, "_*") {
			for i < len(keys) && strings.HasPrefix(keys[i], strings.TrimSuffix(w, "*")) {
				i++
			}
			continue
		}
		if i >= len(keys) || keys[i] != w {
			die("%s: label order mismatch: got %v want %v", fd.Name, keys, want)
		}
		i++
	}
	if i != len(keys) {
		die("%s: extra labels %v want %v", fd.Name, keys, want)
	}
}

func main() {
	if len(os.Args) < 4 {
		die("usage: ksm-model <tsv> pods|nodes <input.json> [args...]")
	}
	resource := os.Args[2]
	defs := loadTSV(os.Args[1], resource)
	var o Opts
	for _, a := range os.Args[4:] {
		switch {
		case strings.HasPrefix(a, "--metric-labels-allowlist="):
			o.LabelsAllow = parseAllowList(strings.TrimPrefix(a, "--metric-labels-allowlist="))
		case strings.HasPrefix(a, "--metric-annotations-allowlist="):
			o.AnnotationsAllow = parseAllowList(strings.TrimPrefix(a, "--metric-annotations-allowlist="))
		case strings.HasPrefix(a, "--metric-opt-in-list="):
			o.OptIn = strings.Split(strings.TrimPrefix(a, "--metric-opt-in-list="), ",")
		case a == "--all-families":
			o.AllFamilies = true
		case a == "":
		default:
			die("unknown arg %q", a)
		}
	}
	raws := readObjects(os.Args[3])
	var per []map[string][]Sample
	var defLabels []string
	for _, r := range raws {
		switch resource {
		case "nodes":
			var n Node
			if err := json.Unmarshal(r, &n); err != nil {
				die("decode: %v", err)
			}
			defLabels = L("node")
			fam := nodeFamilies(&n, o)
			for k, ss := range fam {
				for i := range ss {
					ss[i].Keys = append(L("node"), ss[i].Keys...)
					ss[i].Values = append(L(n.Metadata.Name), ss[i].Values...)
				}
				fam[k] = ss
			}
			per = append(per, fam)
		case "pods":
			var p Pod
			if err := json.Unmarshal(r, &p); err != nil {
				die("decode: %v", err)
			}
			defLabels = L("namespace", "pod", "uid")
			fam := podFamilies(&p, o)
			for k, ss := range fam {
				for i := range ss {
					ss[i].Keys = append(L("namespace", "pod", "uid"), ss[i].Keys...)
					ss[i].Values = append(L(p.Metadata.Namespace, p.Metadata.Name, p.Metadata.UID), ss[i].Values...)
				}
				fam[k] = ss
			}
			per = append(per, fam)
		}
	}
	_ = defLabels
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if len(per) == 0 {
		return
	}
	known := map[string]bool{}
	for _, d := range defs {
		known[d.Name] = true
	}
	for _, fam := range per {
		for k := range fam {
			if !known[k] {
				die("model produced unknown family %s", k)
			}
		}
	}
	for _, d := range defs {
		if d.Enabled == "no:opt-in" {
			on := o.AllFamilies
			for _, pat := range o.OptIn {
				if pat != "" && regexp.MustCompile(pat).MatchString(d.Name) {
					on = true
				}
			}
			if !on {
				continue
			}
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", d.Name, d.Help, d.Name, d.Type)
		for _, fam := range per {
			for _, smp := range fam[d.Name] {
				checkLabels(d, smp.Keys)
				w.WriteString(d.Name)
				w.WriteString("{")
				for i := range smp.Keys {
					if i > 0 {
						w.WriteString(",")
					}
					w.WriteString(smp.Keys[i])
					w.WriteString("=\"")
					w.WriteString(escaper.Replace(smp.Values[i]))
					w.WriteString("\"")
				}
				w.WriteString("} ")
				w.WriteString(formatValue(smp.Value))
				w.WriteString("\n")
			}
		}
	}
}
