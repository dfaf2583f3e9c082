package tui

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	_ "github.com/charmbracelet/x/exp/golden" // defines -update, which these goldens share

	"github.com/sidecar-dev/sidecar/internal/golden"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Golden frames: the screen as the ASCII colour profile draws it (no colour; bold, reverse
// and underline kept), in testdata/tui/ at the repository's root. `go test ./tui -update`
// rewrites them; read every changed one before committing (`cat` shows it as the terminal
// would).

func goldenPath(name string) string {
	return filepath.Join("..", "testdata", "tui", name+".golden")
}

// asciiFrame is the model's screen through the ASCII colour profile.
func asciiFrame(t *testing.T, m *model) string {
	t.Helper()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ASCII}
	if _, err := w.WriteString(m.render()); err != nil {
		t.Fatal(err)
	}
	return b.String() + "\n"
}

func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, goldenPath(name), []byte(got))
}

func TestGoldenFrames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		for _, n := range []int{1, 3, 6} {
			w, h := size[0], size[1]
			name := fmt.Sprintf("running-%dx%d-%d", w, h, n)
			t.Run(name, func(t *testing.T) {
				m, _ := runningScene(t, n, w, h)
				requireGolden(t, name, asciiFrame(t, m))
			})
		}
	}
}

// TestGoldenScenes are frames of particular moments at 80×24: most are the running scene of
// three containers after keys pressed, text typed, then keys pressed again.
func TestGoldenScenes(t *testing.T) {
	scenes := []struct {
		name  string
		keys  []string
		text  string
		then  []string
		setup func(t *testing.T) *model // instead of the running scene and keys
	}{
		{name: "help", keys: []string{"?"}},
		{name: "zoom", keys: []string{"tab", "z"}},
		{name: "search", keys: []string{"/"}, text: "upstream", then: []string{"enter", "n"}},
		{name: "filter-timestamps-nowrap", keys: []string{"t", "w", "&"}, text: "GET", then: []string{"enter", "esc"}},
		{name: "muted-scrolled", keys: []string{"tab", "m", "pgup"}},
		{name: "startup", setup: startupScene},
		{name: "init-failed", setup: initFailedScene},
		{name: "stopping", setup: func(t *testing.T) *model {
			m, _ := runningScene(t, 3, 80, 24)
			c := *m.view.Pod("shop").Container("web")
			c.State, c.StopDeadline, c.StopGrace = orchestrator.CStateStopping, base.Add(2*time.Minute+20*time.Second), recipes.Duration(10*time.Second)
			m.press("q")
			m.events(orchestrator.StackEvent{EventMeta: meta(2 * time.Minute), Stack: "shop", Phase: orchestrator.PhaseStopping, Reason: "shut down by user"},
				orchestrator.ContainerEvent{EventMeta: meta(2 * time.Minute), ContainerView: c})
			return m
		}},
		{name: "pods", setup: podsScene},
	}
	for _, sc := range scenes {
		t.Run(sc.name, func(t *testing.T) {
			var m *model
			if sc.setup != nil {
				m = sc.setup(t)
			} else {
				m, _ = runningScene(t, 3, 80, 24)
				m.press(sc.keys...)
				m.typeText(sc.text)
				m.press(sc.then...)
			}
			requireGolden(t, "scene-"+sc.name, asciiFrame(t, m))
		})
	}
}

// startupScene: images being pulled and built, the pod creating its infra container.
func startupScene(t *testing.T) *model {
	m, _ := testModel(t, 80, 24)
	seq = 0
	view := stackView(3)
	view.Phase = orchestrator.PhasePulling
	view.Pods[0].Phase = orchestrator.PhasePending
	for i := range view.Pods[0].Containers {
		view.Pods[0].Containers[i].State, view.Pods[0].Containers[i].ID = orchestrator.CStateWaiting, ""
	}
	view.Pods[0].Containers = append(view.Pods[0].Containers, orchestrator.ContainerView{Pod: "shop", Name: "migrate", Role: recipes.RoleInit})
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view},
		orchestrator.ImageEvent{EventMeta: meta(time.Second), Ref: "sidecar-infra:v1", Action: orchestrator.ImageInfra, Done: true},
		orchestrator.ImageEvent{EventMeta: meta(time.Second), Ref: "shop/web:dev", Action: orchestrator.ImagePresent, Done: true},
		orchestrator.ImageEvent{EventMeta: meta(time.Second), Ref: "envoyproxy/envoy:v1.31", Action: orchestrator.ImagePull, Message: "pulling"},
		orchestrator.ImageEvent{EventMeta: meta(2 * time.Second), Ref: "envoyproxy/envoy:v1.31", Action: orchestrator.ImagePull, Step: "a1", Message: "Downloading", Current: 30 << 20, Total: 40 << 20},
		orchestrator.ImageEvent{EventMeta: meta(2 * time.Second), Ref: "envoyproxy/envoy:v1.31", Action: orchestrator.ImagePull, Step: "b2", Message: "Downloading", Current: 0, Total: 20 << 20},
		orchestrator.ImageEvent{EventMeta: meta(2 * time.Second), Ref: "shop/shipper:dev", Action: orchestrator.ImageBuild, Step: "3/4", Message: "Step 3/4 : COPY . /"},
		orchestrator.ImageEvent{EventMeta: meta(2 * time.Second), Ref: "shop/shipper:dev", Action: orchestrator.ImageBuild, Step: "3/4", Message: "copying 812 files"},
	)
	return m
}

// initFailedScene: the init container failed, the stack was torn down.
func initFailedScene(t *testing.T) *model {
	m, _ := testModel(t, 80, 24)
	seq = 0
	view := stackView(3)
	view.Phase, view.Pods[0].Phase = orchestrator.PhaseStarting, orchestrator.PhaseInit
	for i := range view.Pods[0].Containers {
		c := &view.Pods[0].Containers[i]
		if c.Role != recipes.RoleInfra {
			c.State, c.ID = orchestrator.CStateCreated, ""
		}
	}
	migrate := orchestrator.ContainerView{Pod: "shop", Name: "migrate", Role: recipes.RoleInit, ID: "m1", State: orchestrator.CStateRunning}
	view.Pods[0].Containers = append(view.Pods[0].Containers, migrate)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view})
	var evs []orchestrator.Event
	for i, l := range []string{"connecting to postgres://db:5432/shop", "migrating schema v1 → v2", "applying 0003_users.sql"} {
		evs = append(evs, orchestrator.LogEvent{EventMeta: meta(time.Duration(i) * time.Second), Pod: "shop", Container: "migrate", Text: l})
	}
	evs = append(evs, orchestrator.LogEvent{EventMeta: meta(4 * time.Second), Pod: "shop", Container: "migrate", Stream: orchestrator.Stderr,
		Text: `ERROR: relation "users" already exists`})
	migrate.State, migrate.ExitCode = orchestrator.CStateExited, intp(1)
	reason := "init container migrate of pod shop exited with code 1"
	evs = append(evs,
		orchestrator.ContainerEvent{EventMeta: meta(5 * time.Second), ContainerView: migrate},
		orchestrator.PodEvent{EventMeta: meta(5 * time.Second), Pod: "shop", Phase: orchestrator.PhaseFailed, Reason: reason},
		orchestrator.StackEvent{EventMeta: meta(5 * time.Second), Stack: "shop", Phase: orchestrator.PhaseStopping, Reason: reason},
		orchestrator.StackEvent{EventMeta: meta(6 * time.Second), Stack: "shop", Phase: orchestrator.PhaseFailed, Reason: reason, ExitCode: intp(1)},
	)
	m.events(evs...)
	m.Update(feedEndMsg{err: io.EOF})
	return m
}

// podsScene: two pods, the second selected.
func podsScene(t *testing.T) *model {
	m, _ := testModel(t, 80, 24)
	seq = 0
	view := stackView(2)
	api := stackView(3).Pods[0]
	api.Name = "api"
	for i := range api.Containers {
		api.Containers[i].Pod = "api"
	}
	view.Pods = append(view.Pods, api)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view},
		orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseRunning})
	var evs []orchestrator.Event
	for i := 0; i < 10; i++ {
		for j, c := range []string{"web", "envoy", "shipper"} {
			l := logLine(c, time.Duration(i)*time.Second, i, j)
			l.Pod = "api"
			evs = append(evs, l)
		}
	}
	m.events(evs...)
	m.press("p")
	return m
}

// TestRenderAnySize: at any size, every state draws exactly the screen's rows, none wider
// than the screen.
func TestRenderAnySize(t *testing.T) {
	scenes := map[string]func(w, h int) *model{
		"running": func(w, h int) *model { m, _ := runningScene(t, 6, w, h); return m },
		"help": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("?", "pgdown")
			return m
		},
		"search": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("t", "/")
			m.typeText("GET")
			m.press("enter")
			return m
		},
		"startup": func(w, h int) *model {
			m := startupScene(t)
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
		},
		"init failed": func(w, h int) *model {
			m := initFailedScene(t)
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
		},
		"timeline": func(w, h int) *model { return lifeScene(t, w, h, true) },
		"merged": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("t", "c", "pgup")
			return m
		},
		"aligned": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("a", "tab", "pgup")
			return m
		},
	}
	for name, scene := range scenes {
		for _, w := range []int{1, 2, 5, 9, 17, 33, 80, 131} {
			for _, h := range []int{1, 2, 3, 6, 11, 24} {
				m := scene(w, h)
				rows := strings.Split(m.render(), "\n")
				if len(rows) != h {
					t.Errorf("%s at %dx%d: %d rows", name, w, h, len(rows))
				}
				for i, r := range rows {
					if got := ansi.StringWidth(r); got > w {
						t.Errorf("%s at %dx%d: row %d is %d wide: %q", name, w, h, i, got, ansi.Strip(r))
					}
				}
			}
		}
	}
}
