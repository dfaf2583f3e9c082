package recipes

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/internal/golden"
)

// The real-world corpus (testdata/realworld, see its FINDINGS.md): every file written by
// others loads, or is refused, as its golden file says: the problems, the warnings, and a
// summary of the pods with what sidecar honours of each container. The golden file sits
// next to its input, named like it with .golden.

// realworldFiles lists the corpus' inputs: the files of kube/ and compose/, and the compose
// file of each directory of compose/.
func realworldFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"kube/*.yaml", "compose/*.yaml", "compose/*/compose.yaml", "compose/*/docker-compose.yml"} {
		files, _ := filepath.Glob(filepath.Join("../testdata/realworld", pattern))
		out = append(out, files...)
	}
	if len(out) < 60 {
		t.Fatalf("found %d real-world files, want 60", len(out))
	}
	slices.Sort(out)
	return out
}

// loadRealworld loads one input as `sidecar validate -f FILE` from the repository root does,
// with no variables but HOME (and the .env beside it).
func loadRealworld(t *testing.T, f string) (*Stack, []Warning, error) {
	t.Helper()
	content, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return Load(File{Name: filepath.ToSlash(strings.TrimPrefix(f, "../")), Content: content},
		Options{Dir: filepath.Dir(f), Env: map[string]string{"HOME": "/home/dev"}, DotEnv: true})
}

func TestRealworldGolden(t *testing.T) {
	for _, f := range realworldFiles(t) {
		t.Run(strings.TrimPrefix(f, "../testdata/realworld/"), func(t *testing.T) {
			st, warns, err := loadRealworld(t, f)
			var b strings.Builder
			if err != nil {
				b.WriteString("# problems\n" + err.Error() + "\n")
			}
			if len(warns) > 0 {
				b.WriteString("# warnings\n")
				b.Write(warningText(warns))
			}
			if st != nil {
				b.WriteString("# pods\n" + summarise(st))
			}
			golden.Check(t, strings.TrimSuffix(f, filepath.Ext(f))+".golden", []byte(b.String()))
		})
	}
}

// summarise writes a stack as one line per pod and per container: roles, and every field
// sidecar honours beyond the image and command (probes by kind, hooks by action).
// depsText is a pod's depends_on as the annotation writes it: db,cache:started.
func depsText(deps []PodDep) string {
	var out []string
	for _, d := range deps {
		out = append(out, d.String())
	}
	return strings.Join(out, ",")
}

func summarise(st *Stack) string {
	var b strings.Builder
	for _, v := range st.Volumes {
		fmt.Fprintf(&b, "stack volume %s%s\n", v.Name, volumeSummary(v))
	}
	for _, p := range st.Pods {
		fmt.Fprintf(&b, "pod %s", p.Name)
		for _, f := range [][2]string{{"job", fmt.Sprint(p.Job)}, {"hostname", p.Hostname}, {"subdomain", p.Subdomain}, {"aliases", strings.Join(st.PodAliases(p), ",")},
			{"namespace", p.Namespace}, {"service_account", p.ServiceAccount}, {"depends_on", depsText(p.DependsOn)},
			{"sysctls", strings.Join(Env(p.Sysctls).Sorted(), ",")}, {"extra_hosts", fmt.Sprint(p.ExtraHosts)}, {"dns", fmt.Sprint(p.DNS)},
			{"share_pid", fmt.Sprint(p.SharePID)}, {"stop_grace", p.StopGrace.String()}} {
			if v := f[1]; v != "" && v != "false" && v != "[]" && v != "<nil>" && v != "30s" {
				fmt.Fprintf(&b, " %s=%s", f[0], v)
			}
		}
		b.WriteString("\n")
		for _, v := range p.Volumes {
			fmt.Fprintf(&b, "  volume %s%s\n", v.Name, volumeSummary(v))
		}
		for _, c := range p.Containers() {
			fmt.Fprintf(&b, "  %s %s%s\n", c.Role, c.Name, containerSummary(c))
		}
	}
	return b.String()
}

func volumeSummary(v *Volume) string {
	s := ""
	if v.Medium == MediumMemory {
		s += " medium=memory"
	}
	if v.SizeLimit > 0 {
		s += " size_limit=" + v.SizeLimit.String()
	}
	if len(v.Files) > 0 {
		s += " files=" + strings.Join(sortedKeys(v.Files), ",")
	}
	return s
}

func containerSummary(c *Container) string {
	var parts []string
	add := func(k, v string) {
		if v != "" && v != "false" && v != "[]" && v != "0" {
			parts = append(parts, k+"="+v)
		}
	}
	probe := func(p *Probe) string {
		if p == nil {
			return ""
		}
		return p.Kind().String()
	}
	hook := func(h *Hook) string {
		switch {
		case h == nil:
			return ""
		case h.Exec != nil:
			return "exec"
		case h.HTTP != nil:
			return fmt.Sprintf("http:%d%s", h.HTTP.Port, h.HTTP.Path)
		}
		return "sleep:" + h.Sleep.String()
	}
	add("restart", c.Restart.String())
	add("ready", probe(c.Ready))
	add("live", probe(c.Live))
	add("startup", probe(c.Startup))
	add("post_start", hook(c.PostStart))
	add("pre_stop", hook(c.PreStop))
	if r := c.Resources; r != nil {
		add("resources", fmt.Sprintf("limits{%s %s} requests{%s %s}", r.Limits.CPU, r.Limits.Memory, r.Requests.CPU, r.Requests.Memory))
	}
	add("user", c.User)
	add("groups", strings.Join(c.Groups, ","))
	add("cap_add", strings.Join(c.CapAdd, ","))
	add("cap_drop", strings.Join(c.CapDrop, ","))
	add("privileged", fmt.Sprint(c.Privileged))
	add("read_only", fmt.Sprint(c.ReadOnly))
	var devs, refs, ulimits, watch []string
	for _, d := range c.Devices {
		devs = append(devs, d.HostPath)
	}
	for _, r := range c.EnvRefs {
		v := r.Field + r.Resource
		if r.Value != "" {
			v = strconv.Quote(r.Value)
		}
		refs = append(refs, r.Name+"="+v)
	}
	for _, u := range c.Ulimits {
		ulimits = append(ulimits, fmt.Sprintf("%s:%d:%d", u.Name, u.Soft, u.Hard))
	}
	for _, w := range c.Watch {
		watch = append(watch, w.Action.String()+":"+w.Path)
	}
	add("devices", strings.Join(devs, ","))
	add("env_refs", strings.Join(refs, " "))
	add("expand_refs", fmt.Sprint(c.ExpandRefs))
	add("stop_signal", c.StopSignal)
	if c.ShmSize > 0 {
		add("shm_size", c.ShmSize.String())
	}
	add("ulimits", strings.Join(ulimits, ","))
	add("init", fmt.Sprint(c.Init))
	add("watch", strings.Join(watch, ","))
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}
