package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// CheckNoLeaks registers a cleanup that fails the test if any container, network or volume
// carrying labels (typically OwnerLabel from Labels(t)) is left when the test ends, after
// removing them. Call it first in the test, so that it runs after the test's own cleanups
// (t.Cleanup runs last-registered first).
func CheckNoLeaks(t testing.TB, labels map[string]string) {
	t.Helper()
	d := Engine(t)
	owner := map[string]string{}
	if v, ok := labels[OwnerLabel]; ok {
		owner[OwnerLabel] = v
	} else {
		owner = labels
	}
	if len(owner) == 0 {
		t.Fatal("CheckNoLeaks needs labels that select only this test's objects")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		objs, err := Objects(ctx, d, owner)
		if err != nil {
			t.Errorf("leak check: %v", err)
		}
		var leaked []string
		for _, o := range objs {
			leaked = append(leaked, o.String())
			if err := o.remove(ctx); err != nil {
				t.Errorf("leak check: %v", err)
			}
		}
		if len(leaked) > 0 {
			t.Errorf("the test left %s behind (now removed)", strings.Join(leaked, ", "))
		}
	})
}

// Object is a container, network or volume on the engine.
type Object struct {
	Kind   string // container, network or volume
	Name   string
	remove func(context.Context) error
}

func (o Object) String() string { return o.Kind + " " + o.Name }

// Objects lists the containers, networks and volumes of d whose labels include labels, in
// the order they can be removed in (containers first). When a list fails it returns what
// it found before.
func Objects(ctx context.Context, d *runtime.Docker, labels map[string]string) ([]Object, error) {
	containers := func(ctx context.Context, filter map[string]string) ([]orchestrator.Resource, error) {
		cs, err := d.ListContainers(ctx, filter)
		rs := make([]orchestrator.Resource, len(cs))
		for i, c := range cs {
			rs[i] = orchestrator.Resource{ID: c.ID, Name: c.Name, Labels: c.Labels}
		}
		return rs, err
	}
	kinds := []struct {
		kind   string
		list   func(context.Context, map[string]string) ([]orchestrator.Resource, error)
		remove func(context.Context, string) error
	}{
		{"container", containers, d.RemoveContainer},
		{"network", d.ListNetworks, d.RemoveNetwork},
		{"volume", d.ListVolumes, d.RemoveVolume}, // a volume's ID is its name
	}
	var out []Object
	for _, k := range kinds {
		rs, err := k.list(ctx, labels)
		if err != nil {
			return out, err
		}
		for _, r := range rs {
			out = append(out, Object{Kind: k.kind, Name: r.Name, remove: func(ctx context.Context) error { return k.remove(ctx, r.ID) }})
		}
	}
	return out, nil
}

// Owner returns the owner value of labels made by Labels.
func Owner(labels map[string]string) string { return labels[OwnerLabel] }
