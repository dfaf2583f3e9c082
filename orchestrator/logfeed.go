package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/recipes"
)

// A view of a stack's logs reads a LogFeed, wherever the lines come from:
//
//   - a running `up` (its views, and later the clients of its control socket) reads its
//     LogHub through a Subscription: each container's ring buffer, filled by the capture
//     (attach before start, every run in order, a marker line at each restart), then live;
//   - `sidecar logs` without a running `up` reads what the engine holds of the stack through
//     EngineLogs: the history of the containers merged by the engine's timestamps, the latest
//     run of a restarted container set apart, then (Follow) each container followed across its
//     restarts, and the stack's new containers too.
//
// Both deliver the same events — a SnapshotEvent first (the stack's pods and containers in
// start order), then LogEvents with terminal-safe text and notes about containers — so that
// one printer shows either. See docs/logs.md.

// LogFeed is a stream of a stack's log events for one view.
type LogFeed interface {
	// Next blocks until events are available and returns them in order; io.EOF once the
	// feed has ended and everything was read, or ctx's error.
	Next(ctx context.Context) ([]Event, error)
	// Close ends the feed.
	Close()
}

var _ LogFeed = (*Subscription)(nil)

// LogCursor marks where a read of a container's log ended. It is made and read by the
// runtime that did the read (nil: nothing read yet).
type LogCursor any

// LogHistory is optional: a Runtime that implements it (the Docker adapter does) can resume a
// read of a container's log exactly where an earlier read ended, though the engine can only be
// asked for lines since a time and its timestamps are not unique.
type LogHistory interface {
	// ResumeLogs is Logs that starts right after from (a cursor an earlier ResumeLogs of the
	// same container returned; nil: where opts says) and returns the cursor after the last
	// line it delivered. opts.Since and opts.Tail apply only when from is nil.
	ResumeLogs(ctx context.Context, id string, opts LogOptions, from LogCursor, sink func(LogLine)) (LogCursor, error)
}

// LogSource is what EngineLogs reads of the engine.
type LogSource interface {
	ListContainers(ctx context.Context, filter map[string]string) ([]ContainerInfo, error)
	InspectContainer(ctx context.Context, id string) (ContainerInfo, error)
	Events
	LogHistory
}

// EngineLogOptions say which lines EngineLogs delivers.
type EngineLogOptions struct {
	Stack      string
	PodOrder   []string            // the recipe's order of the pods, when known (else by name)
	Containers []string            // container or pod/container (MatchContainers); none: every container but infra
	PodAliases map[string][]string // the pods' aliases, when the recipe is known (PodAliasesOf)
	Follow     bool                // after the history, follow the containers until they are all removed
	Since      time.Time
	Tail       int // lines per container from the end; < 0: all
}

// NoContainersError is what EngineLogs returns when the engine holds no container of the
// stack but its infra containers. Skipped are those it left out: their labels are not
// sidecar's.
type NoContainersError struct {
	Stack   string
	Skipped []error
}

func (e *NoContainersError) Error() string {
	msg := fmt.Sprintf("stack %s has no containers on the engine", e.Stack)
	if len(e.Skipped) > 0 {
		msg += " (" + labelErrors(e.Skipped).Error() + ")"
	}
	return msg
}

// UnknownContainerError is a container named to EngineLogs that the stack does not have,
// or that several pods have.
type UnknownContainerError struct {
	Name    string
	Stack   string
	Have    []string // the stack's containers, as they can be named
	Several []string // pod/container of each container the name names, when it names several
}

func (e *UnknownContainerError) Error() string {
	if len(e.Several) > 1 {
		return fmt.Sprintf("%q is in several pods of stack %s: name one of %s", e.Name, e.Stack, strings.Join(e.Several, ", "))
	}
	return fmt.Sprintf("no container %q in the stack: it has %s", e.Name, strings.Join(e.Have, ", "))
}

// EngineLogs returns a feed of what the engine holds of a stack's containers (all but infra,
// or those named): first a SnapshotEvent, then the history, merged across containers by the
// engine's timestamps (a streaming merge: memory does not grow with the history), then with
// Follow the new lines as they come. A container that restarted has its latest run set apart
// by a "restarted" note (MessageEvent) stamped with that run's start (or its first line, when
// the engine stamped that earlier): the engine keeps the start of a container's latest run
// only. While following, a container that stops is followed
// again when it starts (a "restarted" note) and containers of the stack that start later are
// followed too ("started"), until the stack's containers are all removed; problems of the
// follow itself come as warnings without a container. The feed waits for its reader: nothing
// is dropped. It ends (io.EOF) after the history, or when the stack is gone.
func EngineLogs(ctx context.Context, src LogSource, opts EngineLogOptions) (LogFeed, error) {
	infos, err := src.ListContainers(ctx, StackFilter(opts.Stack))
	if err != nil {
		return nil, fmt.Errorf("list the containers of stack %s: %w", opts.Stack, err)
	}
	all, skipped := logSources(infos, opts.PodOrder)
	if len(all) == 0 {
		return nil, &NoContainersError{Stack: opts.Stack, Skipped: skipped}
	}
	sel, err := selectSources(opts.Stack, all, opts.Containers, opts.PodAliases)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &engineFeed{src: src, opts: opts, sel: sel, multi: podCount(all) > 1, out: make(chan []Event, 2), cancel: cancel}
	for _, s := range all {
		s.label = s.name
		if f.multi {
			s.label = s.pod + "/" + s.name
		}
	}
	f.emit(SnapshotEvent{Stack: sourcesView(opts.Stack, all)})
	for _, err := range skipped {
		f.emit(MessageEvent{Level: LevelWarning, Text: err.Error()})
	}
	go func() {
		defer close(f.out)
		f.err = f.run(ctx)
	}()
	return f, nil
}

// logSource is one container whose output a feed delivers.
type logSource struct {
	id      string
	pod     string
	name    string
	role    recipes.Role
	label   string    // name, or pod/name with several pods
	started time.Time // the run being followed
	oneRun  bool      // running and never finished: its history is one run
	cursor  LogCursor
	// from is when its history was read, if that gave no line: a cursor then has no place
	// to resume from, and the follow starts there, not at the start of the log.
	from time.Time
}

// runSkew is how much earlier than the engine's StartedAt of a run its first lines can be
// stamped (measured: 16 ms on a quiet machine; the engine records the start after the process
// has begun to write). A line older than that is of an earlier run.
const runSkew = 250 * time.Millisecond

// earlierRun reports whether a line of s's history is from before the run being followed.
func (s *logSource) earlierRun(at time.Time) bool {
	return !s.oneRun && at.Before(s.started.Add(-runSkew))
}

type engineFeed struct {
	src    LogSource
	opts   EngineLogOptions
	sel    []*logSource
	multi  bool
	out    chan []Event
	cancel context.CancelFunc
	err    error // set before out is closed

	batch []Event
}

func (f *engineFeed) Next(ctx context.Context) ([]Event, error) {
	select {
	case evs, ok := <-f.out:
		if ok {
			return evs, nil
		}
		if f.err != nil {
			return nil, f.err
		}
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *engineFeed) Close() {
	f.cancel()
	for range f.out { // let the producer end
	}
}

func (f *engineFeed) run(ctx context.Context) error {
	start := time.Now()
	if err := f.history(ctx); err != nil {
		return err
	}
	if err := f.flush(ctx); err != nil || !f.opts.Follow {
		return err
	}
	return f.follow(ctx, start)
}

// emit queues an event; flush hands what is queued to the reader, waiting for it.
func (f *engineFeed) emit(ev Event) { f.batch = append(f.batch, plainEvent(ev)) }

func (f *engineFeed) flush(ctx context.Context) error {
	if len(f.batch) == 0 {
		return nil
	}
	select {
	case f.out <- f.batch:
		f.batch = nil
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxFeedBatch bounds the events one Next returns.
const maxFeedBatch = 512

// line queues one line of a container, made terminal-safe as a log buffer holds it.
func (f *engineFeed) line(ctx context.Context, s *logSource, l LogLine) error {
	f.emit(LogEvent{EventMeta: EventMeta{Time: l.Time}, Pod: s.pod, Container: s.name, Stream: l.Stream,
		Text: termsafe.Sanitize(l.Text, termsafe.Color)})
	if len(f.batch) >= maxFeedBatch {
		return f.flush(ctx)
	}
	return nil
}

// note queues a line of the tool's own about a container, about something that happened at.
func (f *engineFeed) note(s *logSource, at time.Time, text string) {
	f.emit(MessageEvent{EventMeta: EventMeta{Time: at}, Level: LevelInfo, Pod: s.pod, Container: s.name, Text: text})
}

// warn queues a problem of the feed itself.
func (f *engineFeed) warn(format string, args ...any) {
	f.emit(MessageEvent{EventMeta: EventMeta{Time: time.Now()}, Level: LevelWarning, Text: fmt.Sprintf(format, args...)})
}

// history delivers what the engine has of each selected container, interleaved by timestamp,
// and records where each container's log ended. A container's lines from before its latest
// run are followed by a "restarted" note stamped with that run's start, or with its first line
// when the engine stamped that a little earlier.
func (f *engineFeed) history(ctx context.Context) error {
	type stream struct {
		lines   chan LogLine
		head    *LogLine
		open    bool
		earlier bool // a line of an earlier run was delivered
		marked  bool // the latest run's start was delivered
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(f.sel))
	// fail ends the readers and returns what went wrong: a reader's error before err.
	fail := func(err error) error {
		cancel()
		wg.Wait()
		if e := errors.Join(errs...); e != nil {
			return e
		}
		return err
	}
	streams := make([]*stream, len(f.sel))
	for i, s := range f.sel {
		st := &stream{lines: make(chan LogLine, 256), open: true}
		streams[i] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(st.lines)
			read, lines := time.Now(), 0
			cur, err := f.src.ResumeLogs(ctx, s.id, LogOptions{Since: f.opts.Since, Tail: f.opts.Tail}, nil, func(l LogLine) {
				lines++
				select {
				case st.lines <- l:
				case <-ctx.Done():
				}
			})
			s.cursor = cur
			if lines == 0 {
				s.from = read
			}
			if err != nil && !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
				errs[i] = fmt.Errorf("read the logs of %s: %w", s.label, err)
				cancel()
			}
		}()
	}
	// Merge: always deliver the earliest of the containers' next lines (or restart notes).
	// Each container's own lines keep the engine's order.
	// The note goes before stream i's head, or after its last line when the latest run has
	// not printed anything yet (it has just started): the earlier lines are set apart still.
	mark := func(i int) bool {
		st := streams[i]
		return st.earlier && !st.marked && (st.head == nil || !f.sel[i].earlierRun(st.head.Time))
	}
	// noteAt stamps stream i's note with the latest run's start, or with that run's first
	// line when the engine stamped it earlier (within runSkew), so the output stays in order.
	noteAt := func(i int) time.Time {
		if h := streams[i].head; h != nil && h.Time.Before(f.sel[i].started) {
			return h.Time
		}
		return f.sel[i].started
	}
	next := func(i int) time.Time {
		if mark(i) {
			return noteAt(i)
		}
		return streams[i].head.Time
	}
	for {
		best := -1
		for i, st := range streams {
			if st.head == nil && st.open {
				select {
				case l, ok := <-st.lines:
					if ok {
						st.head = &l
					} else {
						st.open = false
					}
				case <-ctx.Done():
					return fail(ctx.Err())
				}
			}
			if (st.head != nil || !st.open && mark(i)) && (best < 0 || next(i).Before(next(best))) {
				best = i
			}
		}
		if best < 0 {
			return fail(nil)
		}
		s, st := f.sel[best], streams[best]
		if mark(best) {
			st.marked = true
			f.note(s, noteAt(best), "restarted")
			continue
		}
		if s.earlierRun(st.head.Time) {
			st.earlier = true
		}
		if err := f.line(ctx, s, *st.head); err != nil {
			return fail(err)
		}
		st.head = nil
	}
}

// followMsg is what a container's follower tells the loop in follow.
type followMsg struct {
	src    *logSource
	line   *LogLine // a line; nil: the follow ended
	cursor LogCursor
	err    error
}

// follow delivers new lines of the selected containers as they come, following each again
// when it restarts and new containers of the stack as they appear, until the stack's
// containers are all gone or ctx ends.
func (f *engineFeed) follow(ctx context.Context, since time.Time) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan followMsg, 1024)
	following := map[string]*logSource{}
	idle := map[string]*logSource{}
	start := func(s *logSource) {
		following[s.id] = s
		delete(idle, s.id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			since := f.opts.Since
			if s.from.After(since) {
				since = s.from
			}
			cur, err := f.src.ResumeLogs(ctx, s.id, LogOptions{Follow: true, Since: since, Tail: -1}, s.cursor, func(l LogLine) {
				select {
				case msgs <- followMsg{src: s, line: &l}:
				case <-ctx.Done():
				}
			})
			select {
			case msgs <- followMsg{src: s, cursor: cur, err: err}:
			case <-ctx.Done():
			}
		}()
	}
	started := func(s *logSource) { // s runs again, or for the first time
		if info, err := f.src.InspectContainer(ctx, s.id); err == nil {
			s.started = info.StartedAt
		}
	}
	for _, s := range f.sel {
		start(s)
	}
	filter := StackFilter(f.opts.Stack)
	evs, errs := f.src.Events(ctx, since, filter)
	var retry <-chan time.Time
	for len(following)+len(idle) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-msgs:
			if m.line != nil {
				if err := f.line(ctx, m.src, *m.line); err != nil {
					return err
				}
				break
			}
			s := m.src
			s.cursor = m.cursor
			delete(following, s.id)
			if m.err != nil && ctx.Err() == nil && !errors.Is(m.err, ErrNotFound) {
				f.warn("following %s stopped: %v", s.label, m.err)
			}
			info, err := f.src.InspectContainer(ctx, s.id)
			switch {
			case errors.Is(err, ErrNotFound):
				// removed: nothing more to follow
			case err != nil:
				idle[s.id] = s
			case info.Status == StatusRunning:
				if !info.StartedAt.Equal(s.started) {
					s.started = info.StartedAt
					f.note(s, time.Now(), "restarted")
				} // else the engine ended the stream early: go on
				start(s)
			default:
				idle[s.id] = s
			}
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				break
			}
			since = ev.Time
			switch ev.Action {
			case ActionStart:
				if s := idle[ev.ID]; s != nil {
					started(s)
					f.note(s, time.Now(), "restarted")
					start(s)
				} else if following[ev.ID] == nil {
					if s := f.newSource(ev); s != nil {
						started(s)
						f.note(s, time.Now(), "started")
						start(s)
					}
				}
			case ActionDestroy:
				delete(idle, ev.ID)
			}
		case err, ok := <-errs:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if ok && err != nil {
				f.warn("the engine's event stream ended (%v): reconnecting", err)
			}
			errs, evs = nil, nil
			retry = time.After(time.Second)
		case <-retry:
			retry = nil
			evs, errs = f.src.Events(ctx, since, filter)
			// What happened meanwhile: follow again what runs again.
			for _, s := range idle {
				if info, err := f.src.InspectContainer(ctx, s.id); err == nil && info.Status == StatusRunning {
					s.started = info.StartedAt
					f.note(s, time.Now(), "restarted")
					start(s)
				} else if errors.Is(err, ErrNotFound) {
					delete(idle, s.id)
				}
			}
		}
		if len(msgs) == 0 {
			if err := f.flush(ctx); err != nil {
				return err
			}
		}
	}
	return f.flush(ctx)
}

// newSource is a container of the stack that started after the follow began, if it is one
// to deliver: every one when none is named, else one made again of a container delivered,
// or one the names name (MatchContainers).
func (f *engineFeed) newSource(ev EngineEvent) *logSource {
	l, err := DecodeLabels(ev.Labels)
	if err != nil || l.Role == recipes.RoleInfra || l.Container == "" {
		return nil
	}
	s := &logSource{id: ev.ID, pod: l.Pod, name: l.Container, role: l.Role, label: l.Container}
	if f.multi {
		s.label = l.Pod + "/" + l.Container
	}
	if len(f.opts.Containers) == 0 {
		return s
	}
	for _, c := range f.sel {
		if c.pod == s.pod && c.name == s.name {
			return s // one named, made again
		}
	}
	this := []NamedContainer{{Pod: s.pod, PodAliases: f.opts.PodAliases[s.pod], Name: s.name, Role: s.role}}
	for _, n := range f.opts.Containers {
		if len(MatchContainers(this, n)) > 0 {
			return s
		}
	}
	return nil
}

// logSources returns the stack's containers other than infra, in pod order (the given one,
// else by name), each pod's in start order: init containers, sidecars, main. Containers whose
// labels sidecar did not write are left out and said so.
func logSources(infos []ContainerInfo, podOrder []string) (out []*logSource, skipped []error) {
	podRank := func(pod string) int {
		for i, p := range podOrder {
			if p == pod {
				return i
			}
		}
		return len(podOrder)
	}
	roleRank := map[recipes.Role]int{recipes.RoleInit: 0, recipes.RoleSidecar: 1, recipes.RoleMain: 2}
	type item struct {
		s     *logSource
		order int
	}
	var items []item
	for _, c := range infos {
		l, err := DecodeLabels(c.Labels)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("container %q is left out, its labels are not sidecar's: %w", c.Name, err))
			continue
		}
		if l.Role == recipes.RoleInfra || l.Container == "" {
			continue
		}
		order := l.Order
		if !l.HasOrder {
			order = 1000 * (roleRank[l.Role] + 1) // made before the order label existed
		}
		s := &logSource{id: c.ID, pod: l.Pod, name: l.Container, role: l.Role, started: c.StartedAt,
			oneRun: c.Status == StatusRunning && c.FinishedAt.IsZero()}
		items = append(items, item{s, order})
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if ra, rb := podRank(a.s.pod), podRank(b.s.pod); ra != rb {
			return ra < rb
		}
		if a.s.pod != b.s.pod {
			return a.s.pod < b.s.pod
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.s.name < b.s.name
	})
	for _, it := range items {
		out = append(out, it.s)
	}
	return out, skipped
}

// sourcesView is the stack as `up` shows it to its views: each pod's infra container first,
// then its containers in start order. A printer takes names, widths and colours from it.
func sourcesView(name string, cs []*logSource) StackView {
	v := StackView{Name: name}
	for _, c := range cs {
		if v.Pod(c.pod) == nil {
			v.Pods = append(v.Pods, PodView{Name: c.pod, Containers: []ContainerView{{Pod: c.pod, Name: InfraName}}})
		}
		pod := v.Pod(c.pod)
		pod.Containers = append(pod.Containers, ContainerView{Pod: c.pod, Name: c.name})
	}
	return v
}

func podCount(cs []*logSource) int {
	pods := map[string]bool{}
	for _, c := range cs {
		pods[c.pod] = true
	}
	return len(pods)
}

// selectSources picks the containers named (MatchContainers; aliases are the pods'
// aliases, when known); none named: all. A name that several pods' containers have is
// ambiguous, as it is to a running up's ResolveContainers.
func selectSources(stack string, all []*logSource, names []string, aliases map[string][]string) ([]*logSource, error) {
	if len(names) == 0 {
		return all, nil
	}
	cs := make([]NamedContainer, len(all))
	byRef := map[ContainerRef]*logSource{}
	for i, c := range all {
		cs[i] = NamedContainer{Pod: c.pod, PodAliases: aliases[c.pod], Name: c.name, Role: c.role}
		byRef[cs[i].Ref()] = c
	}
	var out []*logSource
	seen := map[*logSource]bool{}
	for _, n := range names {
		found := MatchContainers(cs, n)
		if len(found) != 1 {
			e := &UnknownContainerError{Name: n, Stack: stack}
			for _, c := range found {
				e.Several = append(e.Several, c.Ref().String())
			}
			for _, c := range all {
				if podCount(all) > 1 {
					e.Have = append(e.Have, c.pod+"/"+c.name)
				} else {
					e.Have = append(e.Have, c.name)
				}
			}
			return nil, e
		}
		if c := byRef[found[0].Ref()]; !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}
