package runtime_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/internal/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

func med(d []time.Duration) time.Duration { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }); return d[len(d)/2] }

func TestZZMeasure(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	infraImg, _ := e.d.InfraImage(e.ctx)
	var create, startInfra, startJoin, stopGrace, probe, exec, remove, present []time.Duration
	for i := 0; i < 7; i++ {
		t0 := time.Now()
		id, err := e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "m"), Image: infraImg, Labels: e.labels})
		if err != nil { t.Fatal(err) }
		create = append(create, time.Since(t0))
		t0 = time.Now()
		if err := e.d.StartContainer(e.ctx, id); err != nil { t.Fatal(err) }
		startInfra = append(startInfra, time.Since(t0))
		m, _ := e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "m"), Image: img, Cmd: []string{"/httpserver"}, NamespaceOwner: id, Labels: e.labels})
		t0 = time.Now()
		if err := e.d.StartContainer(e.ctx, m); err != nil { t.Fatal(err) }
		startJoin = append(startJoin, time.Since(t0))
		testenv.Eventually(t, 10*time.Second, func() error { return e.d.Probe(e.ctx, id, m, httpProbe(8080, "/healthz")) })
		t0 = time.Now()
		e.d.Probe(e.ctx, id, m, httpProbe(8080, "/healthz"))
		probe = append(probe, time.Since(t0))
		t0 = time.Now()
		e.d.Exec(e.ctx, m, []string{"/crasher", "-exit-code", "0"})
		exec = append(exec, time.Since(t0))
		t0 = time.Now()
		e.d.ImagePresent(e.ctx, img)
		present = append(present, time.Since(t0))
		t0 = time.Now()
		e.d.StopContainer(e.ctx, m, 10*time.Second)
		stopGrace = append(stopGrace, time.Since(t0))
		t0 = time.Now()
		e.d.RemoveContainer(e.ctx, m)
		e.d.RemoveContainer(e.ctx, id)
		remove = append(remove, time.Since(t0)/2)
	}
	fmt.Println("create", med(create), "start infra", med(startInfra), "start joined", med(startJoin), "http probe", med(probe), "exec", med(exec), "image inspect", med(present), "stop (SIGTERM handled)", med(stopGrace), "remove", med(remove))

	// infra image load time from scratch
	repo := testenv.UniqueName(t, "sidecar-measure-infra")
	d2 := testenv.Connect(t, runtimeOpts(repo))
	t0 := time.Now()
	ref, err := d2.InfraImage(e.ctx)
	if err != nil { t.Fatal(err) }
	fmt.Println("infra image load (new content)", time.Since(t0))
	t0 = time.Now()
	d2.InfraImage(e.ctx)
	fmt.Println("infra image reuse", time.Since(t0))
	e.d.Client().ImageRemove(e.ctx, ref, client.ImageRemoveOptions{})

	_ = recipes.ProbeHTTP
}

func runtimeOpts(repo string) runtime.ConnectOptions { return runtime.ConnectOptions{InfraRepository: repo, ToolVersion: repo} }
