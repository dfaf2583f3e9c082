package testenv

import (
	"context"
	"strings"
	"testing"
	"time"
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
		var leaked []string
		cs, err := d.ListContainers(ctx, owner)
		if err != nil {
			t.Errorf("leak check: %v", err)
			return
		}
		for _, c := range cs {
			leaked = append(leaked, "container "+c.Name)
			if err := d.RemoveContainer(ctx, c.ID); err != nil {
				t.Errorf("leak check: %v", err)
			}
		}
		nets, err := d.ListNetworks(ctx, owner)
		if err != nil {
			t.Errorf("leak check: %v", err)
			return
		}
		for _, n := range nets {
			leaked = append(leaked, "network "+n.Name)
			if err := d.RemoveNetwork(ctx, n.ID); err != nil {
				t.Errorf("leak check: %v", err)
			}
		}
		vols, err := d.ListVolumes(ctx, owner)
		if err != nil {
			t.Errorf("leak check: %v", err)
			return
		}
		for _, v := range vols {
			leaked = append(leaked, "volume "+v.Name)
			if err := d.RemoveVolume(ctx, v.Name); err != nil {
				t.Errorf("leak check: %v", err)
			}
		}
		if len(leaked) > 0 {
			t.Errorf("the test left %s behind (now removed)", strings.Join(leaked, ", "))
		}
	})
}

// Owner returns the owner value of labels made by Labels.
func Owner(labels map[string]string) string { return labels[OwnerLabel] }
