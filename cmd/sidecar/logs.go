package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// LogsOptions are the inputs of `sidecar logs`.
type LogsOptions struct {
	IO      *IOStreams
	Factory *Factory

	File       string
	Stack      string    // from --stack; else the recipe's name
	Follow     bool      // -f/--follow
	Since      time.Time // zero: from the start
	Tail       int       // lines per container from the end; -1: all
	Timestamps bool
	Color      bool     // colour names (a terminal, no --no-color, no NO_COLOR)
	Containers []string // container or pod/container; none: every container

	Connect func(context.Context) (logEngine, error)
}

// logEngine is what `sidecar logs` uses of the engine.
type logEngine interface {
	ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error)
	InspectContainer(ctx context.Context, id string) (orchestrator.ContainerInfo, error)
	LogsFrom(ctx context.Context, id string, opts orchestrator.LogOptions, pos *runtime.LogPosition, sink func(orchestrator.LogLine)) (*runtime.LogPosition, error)
	Events(ctx context.Context, since time.Time, filter map[string]string) (<-chan orchestrator.EngineEvent, <-chan error)
	Close() error
}

func newLogsCmd(f *Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "logs [--file FILE | --stack NAME] [-f] [--since D|TIME] [--tail N] [--timestamps] [container…]",
		Short: "Print the logs of a stack's containers",
		Long: strings.TrimSpace(`
Print the output of a stack's containers, read from the engine: a running stack,
or one whose containers are still there. Lines of all containers are interleaved
by the engine's timestamps, each as "container | line" ("pod/container | line"
when the stack has several pods). Name containers (or pod/container) to see only
those.

The stack is the recipe's (--file, default ./sidecar.yaml), or the one named with
--stack (no recipe needed).

-f follows, as with docker, kubectl and compose: new lines are printed as they
come, across restarts of a container, until the stack is removed or Ctrl-C. On
this command -f means --follow: give the recipe as --file FILE.

--since takes a duration back from now (10m, 1h30m) or a time (2026-01-02T15:04:05Z,
2026-01-02T15:04:05 or 2026-01-02 in local time, or Unix seconds). --tail N shows
the last N lines of each container (the engine counts a line longer than 16 KiB
as several).

Output is made safe for the terminal: colours may pass on a terminal, every other
escape sequence and control character is removed (and colours too when the output
is not a terminal, with --no-color or with NO_COLOR set).`),
		Example: strings.Trim(`
  sidecar logs                          # every container of ./sidecar.yaml's stack
  sidecar logs -f web                   # follow main "web"
  sidecar logs --stack demo --tail 20   # the last 20 lines of each container
  sidecar logs --file shop.yaml --since 10m --timestamps`, "\n"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.settings(cmd)
			if err != nil {
				return err
			}
			opts.File = v.GetString("file")
			opts.Stack = v.GetString("stack")
			opts.Follow = v.GetBool("follow")
			opts.Timestamps = v.GetBool("timestamps")
			opts.Containers = args
			if opts.Stack != "" && cmd.Flags().Changed("file") {
				return usageErrorf(cmd, "give either --file FILE or --stack NAME, not both")
			}
			if opts.Tail, err = parseTail(v.GetString("tail")); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			if s := v.GetString("since"); s != "" {
				if opts.Since, err = parseSince(s, time.Now()); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			env := envMap(f.Environ())
			opts.Color = opts.IO.IsTTY && !v.GetBool("no-color") && env["NO_COLOR"] == ""
			if opts.Connect == nil {
				opts.Connect = func(ctx context.Context) (logEngine, error) {
					return runtime.Connect(ctx, runtime.ConnectOptions{ToolVersion: f.Build.Version, Getenv: func(k string) string { return env[k] }})
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	// The root's persistent -f/--file is shadowed here: -f is --follow, the recipe is --file.
	cmd.Flags().String("file", defaultFile, "recipe to use (on this command -f is --follow)")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml", "json")
	cmd.Flags().String("stack", "", "name of the stack (instead of reading --file)")
	cmd.Flags().BoolP("follow", "f", false, "keep printing new lines, across restarts")
	cmd.Flags().String("since", "", "only lines since a duration ago (10m) or a time (RFC 3339, a date, Unix seconds)")
	cmd.Flags().String("tail", "all", `number of lines to show from the end of each container's log, or "all"`)
	cmd.Flags().BoolP("timestamps", "t", false, "start every line with the engine's timestamp")
	cmd.Flags().Bool("no-color", false, "do not colour the output (also: NO_COLOR=1)")
	return cmd
}

// parseTail reads --tail: "all" or a number of lines.
func parseTail(s string) (int, error) {
	if s == "" || s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf(`--tail takes a number of lines or "all", got %q`, s)
	}
	return n, nil
}

// parseSince reads --since: a duration back from now, or a point in time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since takes a duration back from now, got the negative %s", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		loc := time.Local
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
		whole := int64(secs)
		return time.Unix(whole, int64((secs-float64(whole))*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("--since takes a duration (10m, 1h30m) or a time (2026-01-02T15:04:05Z, 2026-01-02T15:04:05, 2026-01-02, Unix seconds), got %q", s)
}

// logSource is one container whose output is shown.
type logSource struct {
	id      string
	pod     string
	name    string
	label   string
	started time.Time // the run being followed
	pos     *runtime.LogPosition
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	name := opts.Stack
	var podOrder []string // the recipe's, when it was read
	if name == "" {
		st, warns, err := loadStack(opts.Factory, opts.File)
		printWarnings(opts.IO.ErrOut, warns)
		if err != nil {
			// `sidecar -f x.yaml logs`: -f is --follow here, and x.yaml a container name.
			if r := recipeArg(opts.Containers); r != "" {
				return recipeArgError(r, opts.Follow)
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return &ExitError{Code: exitBadInput, Err: fmt.Errorf("%w\nTo read a stack's logs without its recipe, name it: sidecar logs --stack NAME", err)}
		}
		if err != nil {
			return err
		}
		name = st.Name
		for _, pod := range st.Pods {
			podOrder = append(podOrder, pod.Name)
		}
	}
	rt, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	defer rt.Close()
	filter := map[string]string{orchestrator.LabelStack: name}
	infos, err := rt.ListContainers(ctx, filter)
	if err != nil {
		return fmt.Errorf("list the containers of stack %s: %w", name, err)
	}
	all := appContainers(infos, podOrder)
	if r := recipeArg(opts.Containers); r != "" {
		if _, err := selectContainers(all, []string{r}); err != nil {
			return recipeArgError(r, opts.Follow)
		}
	}
	if len(all) == 0 {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("stack %s has no containers on the engine: start it with `sidecar up`, or see the stacks there are with `sidecar ps`", name)}
	}
	sel, err := selectContainers(all, opts.Containers)
	if err != nil {
		return &ExitError{Code: exitBadInput, Err: err}
	}
	multi := podCount(all) > 1
	for _, s := range all {
		s.label = s.name
		if multi {
			s.label = s.pod + "/" + s.name
		}
	}
	p := newLogsPrinter(opts.IO.Out, opts.Color, opts.Timestamps, stackView(name, all))
	start := time.Now()
	if err := printHistory(ctx, rt, opts, sel, p); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	return follow(ctx, rt, opts, filter, multi, sel, p, start)
}

// appContainers returns the stack's containers other than infra, in pod order (the recipe's
// when known, else by name), each pod's in start order: init containers, sidecars, main.
func appContainers(infos []orchestrator.ContainerInfo, podOrder []string) []*logSource {
	podRank := func(pod string) int {
		for i, p := range podOrder {
			if p == pod {
				return i
			}
		}
		return len(podOrder)
	}
	roleRank := map[string]int{"init": 0, "sidecar": 1, "main": 2}
	type item struct {
		s     *logSource
		order int
	}
	var items []item
	for _, c := range infos {
		role := c.Labels[orchestrator.LabelRole]
		if role == "infra" || c.Labels[orchestrator.LabelContainer] == "" {
			continue
		}
		order, err := strconv.Atoi(c.Labels[orchestrator.LabelOrder])
		if err != nil {
			order = 1000 * (roleRank[role] + 1) // made before the order label existed
		}
		items = append(items, item{&logSource{id: c.ID, pod: c.Labels[orchestrator.LabelPod], name: c.Labels[orchestrator.LabelContainer], started: c.StartedAt}, order})
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
	out := make([]*logSource, len(items))
	for i, it := range items {
		out[i] = it.s
	}
	return out
}

// stackView is the stack as `sidecar up` shows it to its printer: each pod's infra container
// first, then its containers in start order. The printer takes names, widths and colours from
// it.
func stackView(name string, cs []*logSource) orchestrator.StackView {
	v := orchestrator.StackView{Name: name}
	for _, c := range cs {
		if v.Pod(c.pod) == nil {
			v.Pods = append(v.Pods, orchestrator.PodView{Name: c.pod, Containers: []orchestrator.ContainerView{{Pod: c.pod, Name: orchestrator.InfraName}}})
		}
		pod := v.Pod(c.pod)
		pod.Containers = append(pod.Containers, orchestrator.ContainerView{Pod: c.pod, Name: c.name})
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

// recipeArg returns the first of the container names given that looks like a recipe file: it
// ends in .yaml, .yml or .json, or is a file.
func recipeArg(names []string) string {
	for _, n := range names {
		switch strings.ToLower(filepath.Ext(n)) {
		case ".yaml", ".yml", ".json":
			return n
		}
		if fi, err := os.Stat(n); err == nil && fi.Mode().IsRegular() {
			return n
		}
	}
	return ""
}

// recipeArgError says that a recipe was given where a container name goes (exit 2): with -f,
// most likely `sidecar -f x.yaml logs`.
func recipeArgError(name string, follow bool) error {
	how := "give the recipe with --file " + name
	if follow {
		how = "-f means --follow for logs; " + how
	}
	return &ExitError{Code: exitBadInput, Err: fmt.Errorf("%q looks like a recipe, not a container: %s", name, how)}
}

// selectContainers picks the containers named (container, or pod/container); none named:
// all of them.
func selectContainers(all []*logSource, names []string) ([]*logSource, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []*logSource
	seen := map[*logSource]bool{}
	for _, n := range names {
		found := false
		for _, c := range all {
			if n == c.name || n == c.pod+"/"+c.name {
				found = true
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		if !found {
			var have []string
			for _, c := range all {
				if podCount(all) > 1 {
					have = append(have, c.pod+"/"+c.name)
				} else {
					have = append(have, c.name)
				}
			}
			return nil, fmt.Errorf("no container %q in the stack: it has %s", n, strings.Join(have, ", "))
		}
	}
	return out, nil
}

// printHistory prints what the engine has of each container, interleaved by timestamp, and
// records where each container's log ended. A container's lines from before its latest run
// are followed by a `name * restarted` line, stamped with that run's start: the engine keeps
// the start of the latest run only, so earlier restarts cannot be told apart.
func printHistory(ctx context.Context, rt logEngine, opts *LogsOptions, sel []*logSource, p *logsPrinter) error {
	type stream struct {
		lines   chan orchestrator.LogLine
		head    *orchestrator.LogLine
		open    bool
		earlier bool // a line of an earlier run was printed
		marked  bool // the latest run's start was printed
	}
	streams := make([]*stream, len(sel))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(len(sel) + 1)
	for i, s := range sel {
		st := &stream{lines: make(chan orchestrator.LogLine, 256), open: true}
		streams[i] = st
		g.Go(func() error {
			defer close(st.lines)
			pos, err := rt.LogsFrom(gctx, s.id, orchestrator.LogOptions{Since: opts.Since, Tail: opts.Tail}, nil, func(l orchestrator.LogLine) {
				select {
				case st.lines <- l:
				case <-gctx.Done():
				}
			})
			s.pos = pos
			if err != nil && !errors.Is(err, orchestrator.ErrNotFound) {
				return fmt.Errorf("read the logs of %s: %w", s.label, err)
			}
			return nil
		})
	}
	// Merge: always print the earliest of the containers' next lines (or restart notes). Each
	// container's own lines keep the engine's order.
	mark := func(i int) bool { // the note goes before stream i's head
		st := streams[i]
		return st.earlier && !st.marked && !st.head.Time.Before(sel[i].started)
	}
	next := func(i int) time.Time {
		if mark(i) {
			return sel[i].started
		}
		return streams[i].head.Time
	}
	g.Go(func() error {
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
					case <-gctx.Done():
						return gctx.Err()
					}
				}
				if st.head != nil && (best < 0 || next(i).Before(next(best))) {
					best = i
				}
			}
			if best < 0 {
				return p.flush()
			}
			s, st := sel[best], streams[best]
			if mark(best) {
				st.marked = true
				p.noteAt(s, s.started, "restarted")
				continue
			}
			if st.head.Time.Before(s.started) {
				st.earlier = true
			}
			p.line(s, *st.head)
			st.head = nil
		}
	})
	return g.Wait()
}

// followMsg is what a follower tells the loop in follow.
type followMsg struct {
	src  *logSource
	line *orchestrator.LogLine // a line; nil: the follow ended
	pos  *runtime.LogPosition
	err  error
}

// follow prints new lines of the selected containers as they come, following each again when
// it restarts and new containers of the stack as they appear, until the stack's containers
// are all gone or ctx ends.
func follow(ctx context.Context, rt logEngine, opts *LogsOptions, filter map[string]string, multi bool, sel []*logSource, p *logsPrinter, since time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	msgs := make(chan followMsg, 1024)
	following := map[string]*logSource{}
	idle := map[string]*logSource{}
	start := func(s *logSource) {
		following[s.id] = s
		delete(idle, s.id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pos, err := rt.LogsFrom(ctx, s.id, orchestrator.LogOptions{Follow: true, Since: opts.Since, Tail: -1}, s.pos, func(l orchestrator.LogLine) {
				select {
				case msgs <- followMsg{src: s, line: &l}:
				case <-ctx.Done():
				}
			})
			select {
			case msgs <- followMsg{src: s, pos: pos, err: err}:
			case <-ctx.Done():
			}
		}()
	}
	for _, s := range sel {
		start(s)
	}
	evs, errs := rt.Events(ctx, since, filter)
	var retry <-chan time.Time
	for len(following)+len(idle) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-msgs:
			if m.line != nil {
				p.line(m.src, *m.line)
				if len(msgs) == 0 {
					if err := p.flush(); err != nil {
						return err
					}
				}
				continue
			}
			s := m.src
			s.pos = m.pos
			delete(following, s.id)
			if m.err != nil && ctx.Err() == nil && !errors.Is(m.err, orchestrator.ErrNotFound) {
				fmt.Fprintf(opts.IO.ErrOut, "sidecar: following %s stopped: %v\n", s.label, m.err)
			}
			info, err := rt.InspectContainer(ctx, s.id)
			switch {
			case errors.Is(err, orchestrator.ErrNotFound):
				// removed: nothing more to follow
			case err != nil:
				idle[s.id] = s
			case info.Status == orchestrator.StatusRunning:
				if !info.StartedAt.Equal(s.started) {
					s.started = info.StartedAt
					p.note(s, "restarted")
				} // else the engine ended the stream early: go on
				start(s)
			default:
				idle[s.id] = s
			}
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			since = ev.Time
			switch ev.Action {
			case orchestrator.ActionStart:
				if s := idle[ev.ID]; s != nil {
					if info, err := rt.InspectContainer(ctx, ev.ID); err == nil {
						s.started = info.StartedAt
					}
					p.note(s, "restarted")
					start(s)
				} else if following[ev.ID] == nil {
					if s := newSource(ev, multi, opts.Containers); s != nil {
						if info, err := rt.InspectContainer(ctx, ev.ID); err == nil {
							s.started = info.StartedAt
						}
						p.note(s, "started")
						start(s)
					}
				}
			case orchestrator.ActionDestroy:
				delete(idle, ev.ID)
			}
		case err, ok := <-errs:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if ok && err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "sidecar: the engine's event stream ended (%v): reconnecting\n", err)
			}
			errs, evs = nil, nil
			retry = time.After(time.Second)
		case <-retry:
			retry = nil
			evs, errs = rt.Events(ctx, since, filter)
			// What happened meanwhile: follow again what runs again.
			for _, s := range idle {
				if info, err := rt.InspectContainer(ctx, s.id); err == nil && info.Status == orchestrator.StatusRunning {
					s.started = info.StartedAt
					p.note(s, "restarted")
					start(s)
				} else if errors.Is(err, orchestrator.ErrNotFound) {
					delete(idle, s.id)
				}
			}
		}
		if err := p.flushIfIdle(len(msgs)); err != nil {
			return err
		}
	}
	return p.flush()
}

// newSource is a container of the stack that started after `logs -f` began, if it is one
// to show.
func newSource(ev orchestrator.EngineEvent, multi bool, names []string) *logSource {
	role, pod, name := ev.Labels[orchestrator.LabelRole], ev.Labels[orchestrator.LabelPod], ev.Labels[orchestrator.LabelContainer]
	if role == "infra" || name == "" {
		return nil
	}
	s := &logSource{id: ev.ID, pod: pod, name: name, label: name}
	if multi {
		s.label = pod + "/" + name
	}
	if len(names) == 0 {
		return s
	}
	for _, n := range names {
		if n == name || n == pod+"/"+name {
			return s
		}
	}
	return nil
}

// logsPrinter prints through the plain printer of `sidecar up`, so that `sidecar logs` looks
// the same: names padded to one width, the same colours in the same order (from a snapshot of
// the stack built from the engine), the same timestamps; lines are sent in batches.
type logsPrinter struct {
	p     *plain.Printer
	color bool
	batch []orchestrator.Event
}

func newLogsPrinter(w io.Writer, color, timestamps bool, view orchestrator.StackView) *logsPrinter {
	p := &logsPrinter{p: plain.New(w, plain.Options{Color: color, Timestamps: timestamps}), color: color}
	p.batch = append(p.batch, orchestrator.SnapshotEvent{Stack: view})
	return p
}

// line queues one line of a container, made safe as a log buffer would hold it (the printer
// removes the colours where they may not go).
func (p *logsPrinter) line(s *logSource, l orchestrator.LogLine) {
	p.batch = append(p.batch, orchestrator.LogEvent{EventMeta: orchestrator.EventMeta{Time: l.Time}, Pod: s.pod, Container: s.name,
		Stream: l.Stream, Text: termsafe.Sanitize(l.Text, termsafe.Color)})
	if len(p.batch) >= 512 {
		p.flush()
	}
}

// note queues a line of the tool's own about a container: `name * text`.
func (p *logsPrinter) note(s *logSource, text string) { p.noteAt(s, time.Now(), text) }

// noteAt is note about something that happened at a given time.
func (p *logsPrinter) noteAt(s *logSource, at time.Time, text string) {
	p.batch = append(p.batch, orchestrator.MessageEvent{EventMeta: orchestrator.EventMeta{Time: at}, Level: orchestrator.LevelInfo,
		Pod: s.pod, Container: s.name, Text: text})
}

// flush writes what is queued.
func (p *logsPrinter) flush() error {
	err := p.p.Print(p.batch)
	clear(p.batch)
	p.batch = p.batch[:0]
	if err != nil {
		return fmt.Errorf("write the logs: %w", err)
	}
	return nil
}

// flushIfIdle flushes when no more lines are waiting.
func (p *logsPrinter) flushIfIdle(waiting int) error {
	if waiting > 0 {
		return nil
	}
	return p.flush()
}
