package orchestrator_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// A pod's aliases are its names on the stack network besides its own: a lone pod with
// aliases gets the network, and an alias that another pod has is the first pod's only.
func TestPodAliasesOnTheStackNetwork(t *testing.T) {
	for _, tc := range []struct {
		name string
		pods []*recipes.Pod
		want map[string][]string // infra container → its aliases
	}{
		{name: "lone pod", pods: []*recipes.Pod{pod("db", ctr("db"), func(p *recipes.Pod) {
			p.Aliases = []string{"plausible_db", "db", "Plausible_DB", "db.example.com"}
		})}, want: map[string][]string{"a-db-infra": {"db", "plausible_db", "db.example.com"}}},
		{name: "clashes", pods: []*recipes.Pod{
			pod("db", ctr("db"), func(p *recipes.Pod) { p.Aliases = []string{"database"} }),
			pod("app", ctr("app"), func(p *recipes.Pod) { p.Aliases = []string{"database", "db", "www"} }),
		}, want: map[string][]string{"a-db-infra": {"db", "database"}, "a-app-infra": {"app", "www"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, stack("a", tc.pods...), orchestrator.Options{})
			h.start()
			var mains []string
			for _, p := range tc.pods {
				mains = append(mains, "a-"+p.Name+"-"+p.Main.Name)
			}
			h.until("mains running", 0, h.running(mains...))
			if !slices.Equal(h.rt.Networks(), []string{"a-net"}) {
				t.Errorf("networks %v, want the stack network", h.rt.Networks())
			}
			for infra, want := range tc.want {
				c, _ := h.rt.Container(infra)
				if !slices.Equal(c.Spec.Aliases, want) || c.Spec.Network != "a-net" {
					t.Errorf("%s: aliases %q on %q, want %q on a-net", infra, c.Spec.Aliases, c.Spec.Network, want)
				}
			}
			h.o.Shutdown()
			h.finish(time.Second)
			h.leftNothing()
		})
	}
}
