package plain_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// fakeStackRun prepares a run of a one-container stack on the in-memory engine whose main
// prints "hello" and exits 0. It returns a subscription taken before the run, and finish,
// which runs the stack to its end.
func fakeStackRun(t *testing.T) (*orchestrator.Subscription, func()) {
	t.Helper()
	rt := fake.New(clock.RealClock{})
	rt.AddImage("test/web:1")
	rt.PrintOnStart("app-web", "hello")
	rt.ExitOnStart("app-web", 0)
	st := &recipes.Stack{Name: "app", Dir: t.TempDir(), Pods: []*recipes.Pod{{
		Name:      "app",
		Main:      &recipes.Container{Name: "web", Role: recipes.RoleMain, Image: "test/web:1", Restart: recipes.RestartNever},
		StopGrace: recipes.Duration(time.Second),
	}}}
	o := orchestrator.New(rt, st, orchestrator.Options{})
	sub := o.Subscribe()
	t.Cleanup(sub.Close)
	return sub, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := o.Run(ctx)
		if err != nil || res.ExitCode != 0 {
			t.Errorf("run: %+v, %v", res, err)
		}
	}
}
