package tui

import (
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/internal/syncbuf"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Options.Timestamps (up --timestamps) starts the view with every line's time shown.
func TestTimestampsOption(t *testing.T) {
	for _, on := range []bool{false, true} {
		opts := Options{Timestamps: on, Location: time.UTC}.withDefaults()
		m := newModel(context.Background(), nil, &fakeCtl{}, opts)
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(1)},
			orchestrator.LogEvent{EventMeta: meta(5 * time.Second), Pod: "shop", Container: "web", Text: "hello there"})
		row := ""
		for _, l := range strings.Split(m.frame(), "\n") {
			if strings.Contains(l, "hello there") {
				row = l
			}
		}
		if got := strings.Contains(row, "12:00:05 hello there"); got != on {
			t.Errorf("Timestamps %v: the line's row is %q", on, row)
		}
		m.press("t")
		if m.timestamps == on {
			t.Errorf("Timestamps %v: t did not toggle them", on)
		}
	}
}

// scriptSub hands out its events once, then waits for the end of the view.
type scriptSub struct {
	evs  []orchestrator.Event
	sent bool
}

func (s *scriptSub) Next(ctx context.Context) ([]orchestrator.Event, error) {
	if !s.sent {
		s.sent = true
		return s.evs, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
func (s *scriptSub) TryNext() []orchestrator.Event { return nil }
func (s *scriptSub) Close()                        {}

// sgr finds the SGR sequences of a frame; colourParam a parameter that sets a colour.
var (
	sgr         = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)
	colourParam = regexp.MustCompile(`^(3[0-8]|4[0-8]|9[0-7]|10[0-7])([:;].*)?$`)
)

// hasColour tells whether the output sets a foreground or background colour.
func hasColour(out string) bool {
	for _, m := range sgr.FindAllStringSubmatch(out, -1) {
		for _, p := range strings.Split(m[1], ";") {
			if colourParam.MatchString(p) {
				return true
			}
		}
	}
	return false
}

// --no-color (Options.NoColor) and NO_COLOR set to anything draw the view without colour;
// the reverse video of the focused column stays.
func TestNoColor(t *testing.T) {
	tests := []struct {
		name    string
		noColor bool
		env     []string
		colour  bool
	}{
		{"colour", false, nil, true},
		{"NoColor", true, nil, false},
		{"NO_COLOR=1", false, []string{"NO_COLOR=1"}, false},
		{"NO_COLOR=yes", false, []string{"NO_COLOR=yes"}, false},
		{"NO_COLOR empty", false, []string{"NO_COLOR="}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := show(t, Options{NoColor: tt.noColor,
				// CLICOLOR_FORCE: colour on this output, which is not a terminal.
				Environ: append([]string{"TERM=xterm-256color", "CLICOLOR_FORCE=1"}, tt.env...)})
			if got := hasColour(out); got != tt.colour {
				t.Errorf("colour in the output: %v, want %v", got, tt.colour)
			}
			if !strings.Contains(out, "\x1b[7") && !strings.Contains(out, ";7m") && !strings.Contains(out, ";7;") {
				t.Errorf("no reverse video in the output")
			}
		})
	}
}

// show runs the view on a scene with a stderr line and returns its output once the line
// shows.
func show(t *testing.T, opts Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &syncbuf.Buffer{}
	opts.Input, opts.Output, opts.Signals = inR, out, make(chan os.Signal)
	opts.programOptions = []tea.ProgramOption{tea.WithWindowSize(80, 24)}
	sub := &scriptSub{evs: []orchestrator.Event{
		orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(2)},
		orchestrator.LogEvent{EventMeta: meta(time.Second), Pod: "shop", Container: "web", Stream: orchestrator.Stderr, Text: "boom on stderr"},
	}}
	done := make(chan error, 1)
	go func() { done <- Show(ctx, sub, &fakeCtl{}, opts) }()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(out.String(), "boom on stderr") {
		select {
		case <-out.Changed():
		case <-deadline:
			t.Fatalf("the line never showed:\n%q", out.String())
		}
	}
	cancel()
	<-done
	return out.String()
}
