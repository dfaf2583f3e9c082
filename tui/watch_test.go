package tui

import (
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// A watch's events are lines of the column of the container concerned, its rebuild's build
// steps too; a failure is an error line; one about no container is a notice.
func TestWatchEventsReachTheirColumn(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	web := m.pane("shop", "web")
	last := func(p *pane) *line { return p.lines.at(p.lines.next - 1) }
	w := func(e orchestrator.WatchEvent) {
		e.EventMeta, e.Pod, e.Container = meta(time.Minute), "shop", "web"
		m.events(e)
	}
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchChanged, Action: recipes.WatchRebuild, Paths: []string{"web/index.html"}})
	if l := last(web); l.kind != kindInfo || l.text != "⟳ changed: web/index.html → rebuild" {
		t.Errorf("changed line %q (%v)", l.text, l.kind)
	}
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilding, Action: recipes.WatchRebuild, Image: "shop/web:dev"})
	m.events(orchestrator.ImageEvent{EventMeta: meta(time.Minute), Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Step: "2/2",
		Message: "Step 2/2 : COPY index.html /www/"})
	if l := last(web); l.text != "⟳ build: Step 2/2 : COPY index.html /www/" {
		t.Errorf("build step line %q", l.text)
	}
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Action: recipes.WatchRebuild, Error: "build failed; web keeps running as it was"})
	if l := last(web); l.kind != kindError || l.text != "⟳ rebuild failed: build failed; web keeps running as it was" {
		t.Errorf("failed line %q (%v)", l.text, l.kind)
	}
	// The rebuild is over: a later build of the image is the start-up panel's again.
	n := web.lines.next
	m.events(orchestrator.ImageEvent{EventMeta: meta(time.Minute), Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Step: "1/2",
		Message: "Step 1/2 : FROM scratch"})
	if web.lines.next != n {
		t.Errorf("a build after the watch's went to web's column: %q", last(web).text)
	}
	m.events(orchestrator.WatchEvent{EventMeta: meta(time.Minute), Phase: orchestrator.WatchStopped})
	if m.notice != "⟳ stopped watching" {
		t.Errorf("notice %q", m.notice)
	}
}
