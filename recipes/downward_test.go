package recipes

import (
	"strings"
	"testing"
)

func TestExpandVars(t *testing.T) {
	env := map[string]string{"IP": "10.0.0.7", "PORT": "9100", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tests := []struct{ in, want string }{
		{"--secure-listen-address=[$(IP)]:$(PORT)", "--secure-listen-address=[10.0.0.7]:9100"},
		{"$(UNKNOWN) stays", "$(UNKNOWN) stays"},
		{"$$(IP) is escaped", "$(IP) is escaped"},
		{"$$$(IP)", "$10.0.0.7"},
		{"$$$$", "$$"},
		{"cost: 5$ and $x", "cost: 5$ and $x"},
		{"trailing $", "trailing $"},
		{"open $(IP", "open $(IP"},
		{"$(EMPTY)-", "-"},
		{"$()", "$()"},
		{"${IP} is not ours", "${IP} is not ours"},
		{"$(IP)$(PORT)", "10.0.0.79100"},
		{"no references", "no references"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ExpandVars(tt.in, lookup); got != tt.want {
			t.Errorf("ExpandVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDownwardValue(t *testing.T) {
	web := &Container{Name: "web", Resources: &Resources{
		Limits:   ResourceList{CPU: 500, Memory: 256 << 20},
		Requests: ResourceList{CPU: 250},
	}}
	proxy := &Container{Name: "proxy"}
	pod := &Pod{Name: "web-0", Main: web, Sidecars: []*Container{proxy},
		Labels:      map[string]string{"app": "web", "tier": "front"},
		Annotations: map[string]string{"note": `say "hi"`}}
	facts := DownwardFacts{UID: "0f8c-uid", NodeName: "docker-desktop", PodIPs: []string{"172.18.0.3", "fd00::3"},
		HostIPs: []string{"172.18.0.1"}, NodeCPU: 4000, NodeMemory: 8 << 30}
	tests := []struct {
		ref  EnvRef
		c    *Container
		want string
	}{
		{EnvRef{Field: "metadata.name"}, web, "web-0"},
		{EnvRef{Field: "metadata.namespace"}, web, "default"},
		{EnvRef{Field: "metadata.uid"}, web, "0f8c-uid"},
		{EnvRef{Field: "metadata.labels['app']"}, web, "web"},
		{EnvRef{Field: "metadata.labels['missing']"}, web, ""},
		{EnvRef{Field: "metadata.labels"}, web, "app=\"web\"\ntier=\"front\""},
		{EnvRef{Field: "metadata.annotations['note']"}, web, `say "hi"`},
		{EnvRef{Field: "metadata.annotations"}, web, `note="say \"hi\""`},
		{EnvRef{Field: "spec.nodeName"}, web, "docker-desktop"},
		{EnvRef{Field: "spec.serviceAccountName"}, web, "default"},
		{EnvRef{Field: "status.podIP"}, web, "172.18.0.3"},
		{EnvRef{Field: "status.podIPs"}, web, "172.18.0.3,fd00::3"},
		{EnvRef{Field: "status.hostIP"}, web, "172.18.0.1"},
		{EnvRef{Field: "status.hostIPs"}, web, "172.18.0.1"},
		// Kubernetes rounds up: half a core in cores is 1.
		{EnvRef{Resource: "limits.cpu"}, web, "1"},
		{EnvRef{Resource: "limits.cpu", Divisor: "1m"}, web, "500"},
		{EnvRef{Resource: "requests.cpu", Divisor: "1m"}, web, "250"},
		{EnvRef{Resource: "limits.memory"}, web, "268435456"},
		{EnvRef{Resource: "limits.memory", Divisor: "1Mi"}, web, "256"},
		{EnvRef{Resource: "limits.memory", Divisor: "1M"}, web, "269"},
		// A request not set is the limit (defaulting); a limit not set is the node's.
		{EnvRef{Resource: "requests.memory", Divisor: "1Mi"}, web, "256"},
		{EnvRef{Resource: "limits.cpu"}, proxy, "4"},
		{EnvRef{Resource: "limits.memory", Divisor: "1Gi"}, proxy, "8"},
		{EnvRef{Resource: "requests.cpu"}, proxy, "0"},
		// Another container's resources.
		{EnvRef{Resource: "limits.cpu", Container: "web", Divisor: "1m"}, proxy, "500"},
	}
	for _, tt := range tests {
		got, err := DownwardValue(pod, tt.c, tt.ref, facts)
		if err != nil || got != tt.want {
			t.Errorf("%s of %s: %q, %v; want %q", tt.ref.Field+tt.ref.Resource, tt.c.Name, got, err, tt.want)
		}
	}

	pod.Namespace, pod.ServiceAccount = "shop", "web-sa"
	for ref, want := range map[string]string{"metadata.namespace": "shop", "spec.serviceAccountName": "web-sa"} {
		if got, _ := DownwardValue(pod, web, EnvRef{Field: ref}, facts); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
}

func TestCheckEnvRef(t *testing.T) {
	web := &Container{Name: "web"}
	pod := &Pod{Name: "p", Main: web}
	bad := map[string]EnvRef{
		"unknown field":     {Name: "X", Field: "status.phase"},
		"both":              {Name: "X", Field: "metadata.name", Resource: "limits.cpu"},
		"neither":           {Name: "X"},
		"bad label key":     {Name: "X", Field: "metadata.labels[app]"},
		"unknown resource":  {Name: "X", Resource: "limits.ephemeral-storage"},
		"unknown container": {Name: "X", Resource: "limits.cpu", Container: "db"},
		"bad divisor":       {Name: "X", Resource: "limits.memory", Divisor: "lots"},
		"zero divisor":      {Name: "X", Resource: "limits.cpu", Divisor: "0"},
	}
	for what, ref := range bad {
		if err := CheckEnvRef(pod, web, ref); err == nil || !strings.HasPrefix(err.Error(), "X: ") {
			t.Errorf("%s: got %v, want an error naming the variable", what, err)
		}
	}
	for _, ref := range []EnvRef{{Name: "A", Field: "metadata.labels['app']"}, {Name: "B", Resource: "requests.memory", Divisor: "1Mi"}, {Name: "C", Field: "status.podIPs"}} {
		if err := CheckEnvRef(pod, web, ref); err != nil {
			t.Errorf("%+v: %v", ref, err)
		}
	}
	if DownwardStatic(EnvRef{Field: "status.podIP"}) || !DownwardStatic(EnvRef{Field: "metadata.name"}) || DownwardStatic(EnvRef{Resource: "limits.cpu"}) {
		t.Error("DownwardStatic: a pod address is not static, the pod's name is, a resource (the node's when unset) is not")
	}
}
