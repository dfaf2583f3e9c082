package testenv_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
)

// recorder is a testing.TB whose cleanups run on demand and whose errors are recorded.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestCheckNoLeaksFindsAndRemovesLeftovers(t *testing.T) {
	d := testenv.Engine(t)
	labels := testenv.Labels(t)
	rec := &recorder{TB: t}
	testenv.CheckNoLeaks(rec, labels)

	ctx := testenv.Context(t, time.Minute)
	vol := testenv.UniqueName(t, "sct-leak")
	if err := d.CreateVolume(ctx, vol, labels); err != nil {
		t.Fatal(err)
	}
	rec.runCleanups()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "volume "+vol) {
		t.Errorf("leak check reported %q, want the leaked volume %s", rec.errors, vol)
	}
	left, err := d.ListVolumes(ctx, labels)
	if err != nil || len(left) != 0 {
		t.Errorf("after the leak check: %v, %v; want the volume removed", left, err)
	}
}
