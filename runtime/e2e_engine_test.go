package runtime_test

import (
	"errors"
	"testing"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// CheckEngine answers nil for an engine that is there, and ErrEngineUnreachable once it has
// stopped, though the client was made (and used) while it ran.
func TestCheckEngine(t *testing.T) {
	t.Parallel()
	daemon := testenv.StartDaemon(t)
	d := daemon.Connect(t)
	if err := d.CheckEngine(t.Context()); err != nil {
		t.Fatalf("CheckEngine of a running engine: %v", err)
	}
	if _, err := d.ListContainers(t.Context(), nil); err != nil { // a pooled connection
		t.Fatal(err)
	}
	daemon.Stop()
	if err := d.CheckEngine(t.Context()); !errors.Is(err, orchestrator.ErrEngineUnreachable) {
		t.Errorf("CheckEngine of a stopped engine: %v, want ErrEngineUnreachable", err)
	}
	daemon.Start()
	if err := d.CheckEngine(t.Context()); err != nil {
		t.Errorf("CheckEngine once the engine is back: %v", err)
	}
}
