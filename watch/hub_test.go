package watch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
	"github.com/sidecar-dev/sidecar/watch"
)

// The hub on the fake engine: it watches once the stack runs, acts (a restart rule restarts
// the container in place), follows the recipe an apply changes (re-creating nothing), and
// stops with its last holder.
func TestHubFollowsTheRecipe(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"conf/a.yaml", "conf/b.yaml"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x: 1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(watchPath string) *recipes.Stack {
		app := &recipes.Container{Name: "app", Image: "img/app:1", Role: recipes.RoleMain, Restart: recipes.RestartNever,
			Watch: []recipes.WatchRule{{Path: watchPath, Action: recipes.WatchRestart}}}
		side := &recipes.Container{Name: "side", Image: "img/side:1", Role: recipes.RoleSidecar, Restart: recipes.RestartAlways}
		return &recipes.Stack{Name: "hub", Dir: dir, Pods: []*recipes.Pod{{Name: "hub", Main: app, Sidecars: []*recipes.Container{side},
			StopGrace: recipes.Duration(time.Second)}},
			Backoff: recipes.Backoff{Initial: recipes.Duration(time.Second), Max: recipes.Duration(time.Second), Reset: recipes.Duration(time.Minute)}}
	}
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img/app:1", "img/side:1")
	o := orchestrator.New(rt, mk("conf/a.yaml"), orchestrator.Options{})
	var mu sync.Mutex
	var seen []orchestrator.WatchEvent
	changed := make(chan struct{}, 1)
	sub := o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	go func() {
		for {
			evs, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			mu.Lock()
			for _, ev := range evs {
				if we, ok := ev.(orchestrator.WatchEvent); ok {
					seen = append(seen, we)
				}
			}
			mu.Unlock()
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(context.Background())
	}()
	t.Cleanup(func() {
		o.Kill()
		<-done
		sub.Close()
	})
	count := func(phase orchestrator.WatchPhase, text string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, e := range seen {
			if e.Phase == phase && strings.Contains(e.Text(), text) {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for !cond() {
			select {
			case <-changed:
			case <-rt.Changed():
			case <-deadline:
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("timed out waiting for %s; events %+v", what, seen)
			}
		}
	}

	hub := watch.NewHub(o, watch.Options{Quiet: 10 * time.Millisecond})
	release, err := hub.Hold() // before the stack runs: the watch begins once it does
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the watch of a.yaml", func() bool { return count(orchestrator.WatchWatching, "conf/a.yaml (restart)") == 1 })
	if o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Errorf("watching while the stack is %s", o.Snapshot().Phase)
	}
	save := func(rel string) {
		t.Helper()
		tmp := filepath.Join(dir, rel+"~")
		if err := os.WriteFile(tmp, []byte(time.Now().String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}
	starts := func() int { c, _ := rt.Container("hub-app"); return c.Starts }
	save("conf/a.yaml")
	waitFor("the restart", func() bool { return count(orchestrator.WatchRestarted, "") == 1 })
	if starts() != 2 {
		t.Errorf("app started %d times, want 2 (restarted in place)", starts())
	}

	// An apply that moves the rule to b.yaml re-creates nothing; the watch follows.
	res, err := o.Apply(context.Background(), mk("conf/b.yaml"), orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	waitFor("the watch of b.yaml", func() bool { return count(orchestrator.WatchWatching, "conf/b.yaml (restart)") == 1 })
	save("conf/b.yaml")
	waitFor("the second restart", func() bool { return count(orchestrator.WatchRestarted, "") == 2 })
	if n := count(orchestrator.WatchChanged, "conf/a.yaml"); n != 1 {
		t.Errorf("%d changes of a.yaml told, want the one before the apply", n)
	}
	if n := count(orchestrator.WatchStopped, ""); n != 0 {
		t.Errorf("the watch of the new rules took over, and 'stopped watching' was said %d times", n)
	}

	if !hub.Watching() {
		t.Error("the hub does not say it watches")
	}
	release()
	release() // idempotent
	hub.Wait()
	if hub.Watching() {
		t.Error("still watching after the last release")
	}
	waitFor("the watch to stop", func() bool { return count(orchestrator.WatchStopped, "") == 1 }) // b's: a's was taken over

	// A recipe without rules cannot be held.
	o2 := orchestrator.New(rt, &recipes.Stack{Name: "none", Dir: dir, Pods: []*recipes.Pod{{Name: "none",
		Main: &recipes.Container{Name: "app", Image: "img/app:1", Role: recipes.RoleMain}}}}, orchestrator.Options{})
	if _, err := watch.NewHub(o2, watch.Options{}).Hold(); !errors.Is(err, watch.ErrNoRules) {
		t.Errorf("Hold of a stack without rules: %v", err)
	}
}
