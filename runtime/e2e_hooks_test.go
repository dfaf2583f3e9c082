package runtime_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/recipes"
)

// TestRunHook runs lifecycle hooks as a kubelet would: exec in the app container, http from
// inside the pod's network namespace through the infra helper; a failure says why.
func TestRunHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	infraID := e.infra()
	web := e.app(infraID, "/httpserver", "-listen", "127.0.0.1:8080", "-name", "web")
	testenv.Eventually(t, 30*time.Second, func() error {
		return e.d.Probe(e.ctx, infraID, web, httpProbe(8080, "/healthz"))
	})

	if err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{HTTP: &recipes.HTTPProbe{Port: 8080, Path: "/"}}); err != nil {
		t.Errorf("http hook to main's localhost-only server: %v", err)
	}
	err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{HTTP: &recipes.HTTPProbe{Port: 8080, Path: "/missing"}})
	if err == nil || !strings.Contains(err.Error(), "GET http://127.0.0.1:8080/missing: ") || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("http hook answered 404: %v", err)
	}
	if err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "0"}}}); err != nil {
		t.Errorf("exec hook exiting 0: %v", err)
	}
	err = e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "2", "-message", "cache unreachable"}}})
	if err == nil || err.Error() != `exec "/crasher -exit-code 2 -message cache unreachable" exited 2: cache unreachable` {
		t.Errorf("exec hook exiting 2: %v", err)
	}
	err = e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/bin/sh", "-c", "true"}}})
	if err == nil || !strings.Contains(err.Error(), `"/bin/sh" is not in the container's image`) {
		t.Errorf("exec hook of a missing command: %v", err)
	}
	// A hook has no deadline of its own: its context bounds it.
	ctx, cancel := contextWithCancel(e.ctx)
	cancel()
	if err := e.d.RunHook(ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-forever"}}}); !errors.Is(err, ctx.Err()) {
		t.Errorf("exec hook with its context cancelled: %v", err)
	}
	if n, err := e.d.NodeInfo(e.ctx); err != nil || n.Name == "" || n.CPUs < 1 || n.Memory <= 0 {
		t.Errorf("NodeInfo = %+v, %v", n, err)
	}
	info, err := e.d.InspectContainer(e.ctx, infraID)
	if err != nil || len(info.Networks) != 1 || info.Networks[0].Network != "bridge" || info.Networks[0].IP == "" || info.Networks[0].Gateway == "" {
		t.Errorf("the infra container's addresses: %+v, %v", info.Networks, err)
	}
}
