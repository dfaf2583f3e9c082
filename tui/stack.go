package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/internal/rebuild"
)

// stackState is the stack as the events tell it: the orchestrator's view folded from the
// stream, one pane of lines per app container, stats, image progress, messages. Update folds
// one event in; it draws nothing itself (the header, the start-up and failure panels and
// the columns read it).
type stackState struct {
	logLines int // lines each pane keeps

	view      orchestrator.StackView
	snapshot  bool // the snapshot arrived
	panes     map[paneKey]*pane
	stats     map[paneKey]orchestrator.StatsEvent
	images    []*imageState
	pulled    bool                          // images are resolved
	reached   map[string]orchestrator.Phase // per pod, the furthest start-up phase reached
	messages  []orchestrator.MessageEvent
	leftovers string
	since     time.Time        // when the stack started running
	failed    paneKey          // the container whose failing exit was seen last (init and main first)
	completed map[paneKey]bool // init containers whose last run exited 0

	rebuilds rebuild.Owners[paneKey] // image refs a watch rebuilds → the container's pane

	// For the timeline: every container's history (infra too), each pod's phases, and the
	// time of the first event.
	lives       map[paneKey]*lifeline
	phases      map[string][]phaseAt
	first, last time.Time
}

type paneKey struct{ pod, ctr string }

// imageState is what the view shows of one image being made available.
type imageState struct {
	ref     string
	action  orchestrator.ImageAction
	message string
	steps   map[string][2]int64 // pulls: layer → bytes downloaded, bytes in all
	step    string              // builds: the step under way, "2/4"
	done    bool
	err     string
}

func newStackState(logLines int) stackState {
	return stackState{logLines: logLines, panes: map[paneKey]*pane{}, stats: map[paneKey]orchestrator.StatsEvent{},
		reached: map[string]orchestrator.Phase{}, completed: map[paneKey]bool{}, rebuilds: rebuild.Owners[paneKey]{},
		lives: map[paneKey]*lifeline{}, phases: map[string][]phaseAt{}}
}

// stackChange is what an event changed that other components react to.
type stackChange struct {
	// A notice for the footer (a message about the stack, leftovers removed).
	hasNotice  bool
	noticeKind lineKind
	notice     string
	// A container's new state, and whether it started (again).
	container *orchestrator.ContainerView
	started   bool
}

// Update folds one event in.
func (s *stackState) Update(ev orchestrator.Event) stackChange {
	var ch stackChange
	if at := ev.Meta().Time; s.first.IsZero() || (at.Before(s.first) && !at.IsZero()) {
		s.first = at
	}
	if at := ev.Meta().Time; at.After(s.last) {
		s.last = at
	}
	switch e := ev.(type) {
	case orchestrator.SnapshotEvent:
		s.view.Apply(e)
		s.snapshot = true
		for _, p := range e.Stack.Pods {
			s.phase(p.Name, e.Time, p.Phase)
			for _, c := range p.Containers {
				s.life(p.Name, c.Name).add(e.Time, nil, c)
				if c.Role != recipes.RoleInfra {
					s.pane(p.Name, c.Name)
				}
			}
		}
		if e.Stack.Phase == orchestrator.PhaseRunning && s.since.IsZero() {
			s.since = runningSince(e.Stack) // a view attached to a stack that runs already
		}
		s.stackPhase(e.Stack.Phase, e.Time)
		for _, p := range e.Stack.Pods {
			s.podPhase(p.Name, p.Phase)
		}
	case orchestrator.StackEvent:
		s.view.Apply(e)
		s.stackPhase(e.Phase, e.Time)
	case orchestrator.EngineStateEvent:
		s.view.Apply(e) // the header says the engine is gone, and since when
	case orchestrator.PodEvent:
		s.view.Apply(e)
		s.podPhase(e.Pod, e.Phase)
		s.phase(e.Pod, e.Time, e.Phase)
	case orchestrator.ContainerEvent:
		return s.containerEvent(e)
	case orchestrator.HookEvent:
		s.life(e.Pod, e.Container).hook(e)
		if ln, ok := hookLine(e); ok { // hooks are app containers' (the infra container has none)
			s.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, ln.kind, ln.text))
		}
	case orchestrator.ProbeEvent:
		s.life(e.Pod, e.Container).probe(e)
		if ln, ok := probeLine(e); ok {
			s.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, ln.kind, ln.text))
		}
	case orchestrator.StatsEvent:
		s.stats[paneKey{e.Pod, e.Container}] = e
	case orchestrator.ImageEvent:
		if k, step, ok := s.rebuilds.Image(e); ok {
			// A watch's rebuild: its steps in the container's column, not the start-up panel.
			if step != "" {
				s.pane(k.pod, k.ctr).push(newLine(e.Seq, e.Time, kindInfo, "⟳ build: "+step))
			}
			break
		}
		s.image(e)
	case orchestrator.WatchEvent:
		return s.watch(e)
	case orchestrator.LeftoversEvent:
		s.leftovers = leftoversText(e)
		ch.hasNotice, ch.noticeKind, ch.notice = true, kindInfo, s.leftovers
	case orchestrator.MessageEvent:
		kind := levelKind(e.Level)
		text := e.Text
		if e.Hint != "" {
			text += " — " + e.Hint
		}
		if e.Container != "" && e.Pod != "" {
			s.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, kind, levelGlyph(e.Level)+" "+text))
			break
		}
		s.messages = append(s.messages, e)
		ch.hasNotice, ch.noticeKind, ch.notice = true, kind, levelGlyph(e.Level)+" "+text
	case orchestrator.LogsDroppedEvent:
		p := s.pane(e.Pod, e.Container)
		p.skipped += e.Count
		p.push(newLine(e.Seq, e.Time, kindWarn,
			fmt.Sprintf("… %d lines skipped: the view fell behind", e.Count)))
	}
	return ch
}

// levelKind is how a line of a message of level l is drawn.
func levelKind(l orchestrator.Level) lineKind {
	switch l {
	case orchestrator.LevelWarning:
		return kindWarn
	case orchestrator.LevelError:
		return kindError
	}
	return kindInfo
}

// watch shows what a watch saw and did as a line in the column of the container concerned
// (a notice without one).
func (s *stackState) watch(e orchestrator.WatchEvent) stackChange {
	kind := levelKind(e.Level())
	text := "⟳ " + e.Text()
	if e.Container == "" {
		return stackChange{hasNotice: true, noticeKind: kind, notice: text}
	}
	s.rebuilds.Watch(e, paneKey{e.Pod, e.Container})
	s.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, kind, text))
	return stackChange{}
}

func (s *stackState) containerEvent(e orchestrator.ContainerEvent) stackChange {
	var old *orchestrator.ContainerView
	if c := s.container(e.Pod, e.Name); c != nil {
		prev := *c
		old = &prev
	}
	s.view.Apply(e)
	s.life(e.Pod, e.Name).add(e.Time, old, e.ContainerView)
	if e.Role == recipes.RoleInfra {
		return stackChange{}
	}
	pn := s.pane(e.Pod, e.Name)
	started := false
	for _, ln := range lifecycleLines(old, e.ContainerView) {
		l := newLine(e.Seq, e.Time, ln.kind, ln.text)
		l.start, l.end = ln.start, ln.end
		started = started || ln.start
		pn.push(l)
	}
	if e.Role == recipes.RoleInit {
		switch e.State {
		case orchestrator.CStateExited:
			s.completed[paneKey{e.Pod, e.Name}] = !exitFailed(e.ContainerView)
		case orchestrator.CStateStarting, orchestrator.CStateRunning:
			s.completed[paneKey{e.Pod, e.Name}] = false
		}
	}
	if e.State == orchestrator.CStateExited && exitFailed(e.ContainerView) {
		// What failed the stack, if it fails: an init container or main over others.
		if f := s.container(s.failed.pod, s.failed.ctr); f == nil || f.Role == recipes.RoleSidecar || e.Role != recipes.RoleSidecar {
			s.failed = paneKey{e.Pod, e.Name}
		}
	}
	if e.State != orchestrator.CStateRunning {
		delete(s.stats, paneKey{e.Pod, e.Name})
	}
	c := e.ContainerView
	return stackChange{container: &c, started: started}
}

func (s *stackState) stackPhase(p orchestrator.Phase, at time.Time) {
	switch p {
	case orchestrator.PhasePulling:
		s.pulled = false
	case orchestrator.PhaseCreating:
		for _, im := range s.images {
			if im.done {
				s.pulled = true
			}
		}
	case orchestrator.PhaseStarting, orchestrator.PhaseStopping, orchestrator.PhaseDone:
		s.pulled = true
	case orchestrator.PhaseRunning:
		s.pulled = true
		if s.since.IsZero() {
			s.since = at
		}
	}
}

// podPhase notes how far a pod got on its way up: the start-up panel marks the steps
// before as done and, after a failure, the one under way as failed.
func (s *stackState) podPhase(pod string, p orchestrator.Phase) {
	if p > orchestrator.PhasePending {
		s.pulled = true
	}
	switch {
	case p == orchestrator.PhaseRecreating:
		s.reached[pod] = orchestrator.PhaseCreating
	case p >= orchestrator.PhaseCreating && p <= orchestrator.PhaseRunning && p > s.reached[pod]:
		s.reached[pod] = p
	}
}

// life returns the lifeline of a container, making it on first use.
func (s *stackState) life(pod, ctr string) *lifeline {
	k := paneKey{pod, ctr}
	l := s.lives[k]
	if l == nil {
		l = &lifeline{pod: pod, name: ctr}
		s.lives[k] = l
	}
	return l
}

// phase notes a pod's phase from at on, when it changed.
func (s *stackState) phase(pod string, at time.Time, p orchestrator.Phase) {
	ph := s.phases[pod]
	if n := len(ph); n > 0 && ph[n-1].phase == p {
		return
	}
	s.phases[pod] = keepLast(append(ph, phaseAt{at: at, phase: p}), lifeKeep)
}

// pane returns the pane of a container, making it on first use.
func (s *stackState) pane(pod, ctr string) *pane {
	k := paneKey{pod, ctr}
	p := s.panes[k]
	if p == nil {
		p = newPane(pod, ctr, s.logLines)
		s.panes[k] = p
	}
	return p
}

func (s *stackState) image(e orchestrator.ImageEvent) {
	var im *imageState
	for _, x := range s.images {
		if x.ref == e.Ref {
			im = x
		}
	}
	if im == nil {
		im = &imageState{ref: e.Ref, steps: map[string][2]int64{}}
		s.images = append(s.images, im)
	}
	im.action = e.Action
	if e.Message != "" {
		im.message = e.Message
	}
	switch {
	case e.Action == orchestrator.ImageBuild:
		if buildStep.MatchString("Step " + e.Step) {
			im.step = e.Step // "2/4"
		}
	case e.Step == "":
	case strings.HasPrefix(e.Message, "Downloading") && e.Total > 0:
		im.steps[e.Step] = [2]int64{e.Current, e.Total}
	case strings.Contains(e.Message, "complete") || strings.HasPrefix(e.Message, "Already exists"):
		// A layer downloaded, extracted or present: all of it.
		if st, ok := im.steps[e.Step]; ok {
			im.steps[e.Step] = [2]int64{st[1], st[1]}
		}
	}
	if e.Done {
		im.done = true
	}
	if e.Error != "" {
		im.err = e.Error
	}
}

func (s *stackState) container(pod, name string) *orchestrator.ContainerView {
	if p := s.view.Pod(pod); p != nil {
		return p.Container(name)
	}
	return nil
}

// panesOf are a pod's app containers' panes in column order: main, sidecars in their
// order, then init containers.
func (s *stackState) panesOf(pod string) []*pane {
	p := s.view.Pod(pod)
	if p == nil {
		return nil
	}
	var out []*pane
	for _, role := range []recipes.Role{recipes.RoleMain, recipes.RoleSidecar, recipes.RoleInit} {
		for _, c := range p.Containers {
			if c.Role == role {
				out = append(out, s.pane(p.Name, c.Name))
			}
		}
	}
	return out
}

// failedPane is the container whose failure ended the stack: a failed init container, or
// main when it ended the stack with a failure, else the last container that failed.
func (s *stackState) failedPane() *pane {
	if s.failed.ctr == "" {
		return nil
	}
	return s.pane(s.failed.pod, s.failed.ctr)
}

// starting reports whether the start-up panel is due: the stack has not run yet, or a pod is
// on its way up again.
func (s *stackState) starting() bool {
	if s.since.IsZero() {
		return true
	}
	for _, p := range s.view.Pods {
		switch p.Phase {
		case orchestrator.PhaseCreating, orchestrator.PhaseInit, orchestrator.PhaseSidecars,
			orchestrator.PhaseStartingMain, orchestrator.PhaseRecreating:
			return true
		}
	}
	return false
}

// runningSince is when a stack found running in a snapshot started: the earliest start of its
// infra containers (they live as long as their pods), or zero when none is known.
func runningSince(v orchestrator.StackView) time.Time {
	var since time.Time
	for _, p := range v.Pods {
		for _, c := range p.Containers {
			if c.Role == recipes.RoleInfra && !c.StartedAt.IsZero() && (since.IsZero() || c.StartedAt.Before(since)) {
				since = c.StartedAt
			}
		}
	}
	return since
}
