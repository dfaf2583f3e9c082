package recipes

import (
	"slices"
	"strings"
	"testing"
)

// mountsOf renders the mounts of container c as "source:target[:ro]".
func mountsOf(c *Container) []string {
	var out []string
	for _, m := range c.Volumes {
		s := m.Source + ":" + m.Target
		if m.ReadOnly {
			s += ":ro"
		}
		out = append(out, s)
	}
	return out
}

// volumes_from: a mount read-only at the source stays so under :rw; a target the service
// mounts itself keeps its own mount; of two sources, the later wins at a target; a source in
// the same pod gives no dependency (nor a role), one in another pod a started one (which
// normalisation keeps, the pods' mains having ready probes).
func TestComposeVolumesFrom(t *testing.T) {
	st, ws := mustComposeLoad(t, `
services:
	app:
		image: nginx
		volumes:
			- logs:/logs
			- conf:/conf:ro
		healthcheck:
			test: ["CMD", "true"]
	other:
		image: nginx
		volumes:
			- other-logs:/logs
		healthcheck:
			test: ["CMD", "true"]
	helper:
		image: busybox
		network_mode: service:app
		volumes_from:
			- app:rw
	reader:
		image: busybox
		volumes_from:
			- app
			- other
		volumes:
			- own:/conf
volumes:
	logs:
	conf:
	other-logs:
	own:
`, nil)
	if len(ws) != 0 {
		t.Errorf("warnings: %q", warningStrings(ws))
	}
	app := st.Pod("app")
	if app.Main.Name != "app" || len(app.Sidecars) != 1 || len(app.DependsOn) != 0 {
		t.Fatalf("pod app: main %s, sidecars %d, depends_on %v", app.Main.Name, len(app.Sidecars), app.DependsOn)
	}
	if got, want := mountsOf(app.Sidecars[0]), []string{"logs:/logs", "conf:/conf:ro"}; !slices.Equal(got, want) {
		t.Errorf("helper mounts %q, want %q", got, want)
	}
	reader := st.Pod("reader")
	if got, want := mountsOf(reader.Main), []string{"own:/conf", "other-logs:/logs"}; !slices.Equal(got, want) {
		t.Errorf("reader mounts %q, want %q", got, want)
	}
	var deps []string
	for _, d := range reader.DependsOn {
		deps = append(deps, d.Pod+"/"+d.Condition.String())
	}
	if want := []string{"app/started", "other/started"}; !slices.Equal(deps, want) {
		t.Errorf("reader depends_on %q, want %q", deps, want)
	}
}

// A written depends_on on the source keeps its own condition; a loop of volumes_from ends.
func TestComposeVolumesFromDepsAndLoops(t *testing.T) {
	st, _ := mustComposeLoad(t, `
services:
	db:
		image: postgres
		volumes:
			- data:/data
		healthcheck:
			test: ["CMD", "true"]
	backup:
		image: busybox
		volumes_from:
			- db:ro
		depends_on:
			db:
				condition: service_healthy
	a:
		image: busybox
		volumes:
			- va:/a
		volumes_from:
			- b
	b:
		image: busybox
		network_mode: service:a
		volumes:
			- vb:/b
		volumes_from:
			- a
volumes:
	data:
	va:
	vb:
`, nil)
	if d := st.Pod("backup").DependsOn; len(d) != 1 || d[0].Condition != DepReady {
		t.Errorf("backup depends_on %v, want db ready", d)
	}
	if got := mountsOf(st.Pod("backup").Main); !slices.Equal(got, []string{"data:/data:ro"}) {
		t.Errorf("backup mounts %q", got)
	}
	pod := st.Pod("a")
	for _, c := range pod.Containers() {
		if got := strings.Join(mountsOf(c), " "); got != "va:/a vb:/b" && got != "vb:/b va:/a" {
			t.Errorf("%s mounts %q, want a and b", c.Name, got)
		}
	}
}
