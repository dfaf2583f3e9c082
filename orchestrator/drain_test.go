package orchestrator_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// A main that prints and exits at once (a job) ends the stack at once; its container is
// removed only after its output was read, so no line is lost.
func TestQuickMainKeepsItsOutput(t *testing.T) {
	for i := range 20 { // the race it guards against was lost in about half the runs
		rt := fake.New(clock.RealClock{})
		s := stack("job", pod("job", ctr("main")))
		rt.AddImage("test/main:1")
		rt.PrintOnStart("job-main", "line 1", "line 2")
		rt.ExitOnStart("job-main", 0)
		o := orchestrator.New(rt, s, orchestrator.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := o.Run(ctx)
		cancel()
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("run %d: %+v, %v", i, res, err)
		}
		buf := o.Logs().Buffer("job", "main")
		lines, _, _ := buf.Read(0, 0)
		if len(lines) != 2 || lines[0].Text != "line 1" || lines[1].Text != "line 2" {
			t.Fatalf("run %d: main's buffer holds %v, want its two lines", i, lines)
		}
	}
}
