package main

// Minimal mirrors of the k8s.io/api/core/v1 types KSM reads, decoded with
// encoding/json exactly as client-go would (field names per the API's json tags).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Time mirrors metav1.Time: RFC3339 (fractional seconds accepted by time.Parse), null -> zero.
type Time struct{ time.Time }

func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) == 4 && string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	pt, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = pt.Local()
	return nil
}

// OMap is map[string]string that remembers JSON key order (duplicates: last value wins, first position kept).
type OMap struct {
	Keys []string
	M    map[string]string
}

func (m *OMap) UnmarshalJSON(b []byte) error {
	m.M = map[string]string{}
	m.Keys = nil
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k := kt.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if _, ok := m.M[k]; !ok {
			m.Keys = append(m.Keys, k)
		}
		m.M[k] = v
	}
	return nil
}

// RList mirrors v1.ResourceList (map[ResourceName]resource.Quantity) keeping JSON order.
type RItem struct {
	Name string
	Q    Quantity
}
type RList []RItem

func (r *RList) UnmarshalJSON(b []byte) error {
	*r = nil
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		var q Quantity
		if err := q.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("quantity %s: %v", kt, err)
		}
		found := false
		for i := range *r {
			if (*r)[i].Name == kt.(string) {
				(*r)[i].Q = q
				found = true
			}
		}
		if !found {
			*r = append(*r, RItem{kt.(string), q})
		}
	}
	return nil
}

func (r RList) Get(name string) (Quantity, bool) {
	for _, it := range r {
		if it.Name == name {
			return it.Q, true
		}
	}
	return Quantity{}, false
}

type OwnerReference struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Controller *bool  `json:"controller"`
}

type ObjectMeta struct {
	Name              string           `json:"name"`
	Namespace         string           `json:"namespace"`
	UID               string           `json:"uid"`
	CreationTimestamp Time             `json:"creationTimestamp"`
	DeletionTimestamp *Time            `json:"deletionTimestamp"`
	Labels            OMap             `json:"labels"`
	Annotations       OMap             `json:"annotations"`
	OwnerReferences   []OwnerReference `json:"ownerReferences"`
}

type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

type NodeCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

type NodeAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

type Node struct {
	Kind     string     `json:"kind"`
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		PodCIDR       string   `json:"podCIDR"`
		PodCIDRs      []string `json:"podCIDRs"`
		ProviderID    string   `json:"providerID"`
		Unschedulable bool     `json:"unschedulable"`
		Taints        []Taint  `json:"taints"`
	} `json:"spec"`
	Status struct {
		Capacity    RList           `json:"capacity"`
		Allocatable RList           `json:"allocatable"`
		Conditions  []NodeCondition `json:"conditions"`
		Addresses   []NodeAddress   `json:"addresses"`
		NodeInfo    struct {
			KernelVersion           string `json:"kernelVersion"`
			OSImage                 string `json:"osImage"`
			ContainerRuntimeVersion string `json:"containerRuntimeVersion"`
			KubeletVersion          string `json:"kubeletVersion"`
			SystemUUID              string `json:"systemUUID"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

type Container struct {
	Name          string  `json:"name"`
	Image         string  `json:"image"`
	RestartPolicy *string `json:"restartPolicy"`
	Resources     struct {
		Limits   RList `json:"limits"`
		Requests RList `json:"requests"`
	} `json:"resources"`
}

type Volume struct {
	Name                  string `json:"name"`
	PersistentVolumeClaim *struct {
		ClaimName string `json:"claimName"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"persistentVolumeClaim"`
	Ephemeral *struct {
		VolumeClaimTemplate json.RawMessage `json:"volumeClaimTemplate"`
	} `json:"ephemeral"`
}

type Toleration struct {
	Key               string `json:"key"`
	Operator          string `json:"operator"`
	Value             string `json:"value"`
	Effect            string `json:"effect"`
	TolerationSeconds *int64 `json:"tolerationSeconds"`
}

type PodResourceClaim struct {
	Name                      string  `json:"name"`
	ResourceClaimName         *string `json:"resourceClaimName"`
	ResourceClaimTemplateName *string `json:"resourceClaimTemplateName"`
}

type PodCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason"`
	LastTransitionTime Time   `json:"lastTransitionTime"`
}

type ContainerState struct {
	Waiting *struct {
		Reason string `json:"reason"`
	} `json:"waiting"`
	Running *struct {
		StartedAt Time `json:"startedAt"`
	} `json:"running"`
	Terminated *struct {
		ExitCode   int32  `json:"exitCode"`
		Reason     string `json:"reason"`
		StartedAt  Time   `json:"startedAt"`
		FinishedAt Time   `json:"finishedAt"`
	} `json:"terminated"`
}

type ContainerStatus struct {
	Name                 string         `json:"name"`
	Image                string         `json:"image"`
	ImageID              string         `json:"imageID"`
	ContainerID          string         `json:"containerID"`
	Ready                bool           `json:"ready"`
	RestartCount         int32          `json:"restartCount"`
	State                ContainerState `json:"state"`
	LastTerminationState ContainerState `json:"lastState"`
}

type Pod struct {
	Kind     string     `json:"kind"`
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Containers         []Container        `json:"containers"`
		InitContainers     []Container        `json:"initContainers"`
		NodeName           string             `json:"nodeName"`
		PriorityClassName  string             `json:"priorityClassName"`
		HostNetwork        bool               `json:"hostNetwork"`
		Overhead           RList              `json:"overhead"`
		RestartPolicy      string             `json:"restartPolicy"`
		RuntimeClassName   *string            `json:"runtimeClassName"`
		Volumes            []Volume           `json:"volumes"`
		Tolerations        []Toleration       `json:"tolerations"`
		NodeSelector       OMap               `json:"nodeSelector"`
		ServiceAccountName string             `json:"serviceAccountName"`
		SchedulerName      string             `json:"schedulerName"`
		ResourceClaims     []PodResourceClaim `json:"resourceClaims"`
	} `json:"spec"`
	Status struct {
		Phase  string `json:"phase"`
		QOS    string `json:"qosClass"`
		Reason string `json:"reason"`
		HostIP string `json:"hostIP"`
		PodIP  string `json:"podIP"`
		PodIPs []struct {
			IP string `json:"ip"`
		} `json:"podIPs"`
		StartTime             *Time             `json:"startTime"`
		Conditions            []PodCondition    `json:"conditions"`
		ContainerStatuses     []ContainerStatus `json:"containerStatuses"`
		InitContainerStatuses []ContainerStatus `json:"initContainerStatuses"`
		ResourceClaimStatuses []struct {
			Name              string  `json:"name"`
			ResourceClaimName *string `json:"resourceClaimName"`
		} `json:"resourceClaimStatuses"`
	} `json:"status"`
}
