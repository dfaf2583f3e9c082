package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// The header says when the engine is gone, for how long, and that the view waits; once it
// answers again, the uptime is back.
func TestHeaderSaysTheEngineIsGone(t *testing.T) {
	m, _ := runningScene(t, 2, 120, 30)
	m.events(orchestrator.EngineStateEvent{EventMeta: meta(2*time.Minute + 1*time.Second), Error: "connection refused"})
	h := m.header(120)
	if !strings.Contains(h, "engine unreachable") || !strings.Contains(h, "for 12s") || !strings.Contains(h, "Ctrl-C") {
		t.Fatalf("header while the engine is gone: %q", h)
	}
	m.events(orchestrator.EngineStateEvent{EventMeta: meta(2*time.Minute + 5*time.Second), Reachable: true})
	if h := m.header(120); strings.Contains(h, "engine unreachable") || !strings.Contains(h, "running 2m13s") {
		t.Fatalf("header after the engine came back: %q", h)
	}
}

// In the attached view Ctrl-C only leaves the view: the header says so, not that it stops.
func TestAttachedHeaderSaysWhatCtrlCDoes(t *testing.T) {
	m, _ := attachedTestModel(t, 120, 30)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(2)},
		orchestrator.EngineStateEvent{EventMeta: meta(2*time.Minute + 1*time.Second), Error: "connection refused"})
	if h := ansi.Strip(m.header(120)); !strings.Contains(h, "waiting for it (Ctrl-C leaves the view, the stack keeps waiting)") || strings.Contains(h, "Ctrl-C to stop") {
		t.Fatalf("attached header while the engine is gone: %q", h)
	}
}

// A view attached to a stack that already runs counts its uptime from the pods' start, not
// from the moment it attached.
func TestAttachedUptimeFromThePodsStart(t *testing.T) {
	m, _ := testModel(t, 120, 30)
	view := stackView(2)
	view.Pods[0].Containers[0].StartedAt = base.Add(-time.Hour)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(2 * time.Minute), Stack: view})
	if h := m.header(120); !strings.Contains(h, "running 1h02m") {
		t.Fatalf("attached header: %q", h)
	}
}
