package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// What a watch (package watch: `up --watch`, `sidecar watch`) asks of a running stack: the
// current recipe (Stack), the rebuild of one container's image (Rebuild) and the
// replacement of the containers that run it (ReplaceRebuilt), files copied into a
// container as it runs (SyncFiles),
// and its events published in the stack's stream (PublishWatch), so that every view shows
// them. A restart is CommandContainers'.

// Stack returns the recipe the stack runs now: the one it started with, or the last one
// applied.
func (o *Orchestrator) Stack() *recipes.Stack {
	o.podsMu.RLock()
	defer o.podsMu.RUnlock()
	return o.stack
}

// PublishWatch publishes a watch's event in the stack's stream.
func (o *Orchestrator) PublishWatch(ev WatchEvent) { o.out.publish(ev) }

// RebuildResult is an image Rebuild built again, for ReplaceRebuilt.
type RebuildResult struct {
	Image   string        // the image reference built
	ImageID string        // its ID now
	Old     string        // its ID before ("" when it was not there)
	Built   time.Duration // how long the build took
	// Unchanged: the build gave the very image the containers run (every step came from
	// the engine's cache): there is nothing to replace.
	Unchanged bool
}

// ReplaceResult says what ReplaceRebuilt did.
type ReplaceResult struct {
	// Changes are the apply's changes ("replace web: image web:dev was rebuilt (…)").
	Changes []string
	// Pruned is set when the image the rebuild replaced was removed: no tag named it any
	// more and no container used it.
	Pruned bool
}

// Rebuild builds the image of ref's container again from its build section, through the
// engine (its build cache used); the build's progress goes out as ImageEvents. Nothing runs
// the new image yet (ReplaceRebuilt); a failed build changes nothing, and its error says
// why.
func (o *Orchestrator) Rebuild(ctx context.Context, ref ContainerRef) (RebuildResult, error) {
	if !o.ran.Load() {
		return RebuildResult{}, fmt.Errorf("stack %s is %w", o.names.Stack, ErrNotRunning)
	}
	if _, ok := o.rt.(ImageInspector); !ok {
		return RebuildResult{}, fmt.Errorf("rebuild %s: %w: the engine adapter does not tell image IDs", ref, ErrNotSupported)
	}
	stack := o.Stack()
	pod := stack.Pod(ref.Pod)
	var c *recipes.Container
	if pod != nil {
		c = pod.Container(ref.Container)
	}
	if c == nil {
		return RebuildResult{}, fmt.Errorf("rebuild %s: %w", ref, ErrUnknownContainer)
	}
	if c.Build == nil {
		return RebuildResult{}, fmt.Errorf("rebuild %s: its recipe has no build section to build image %s from: %w", ref, c.Image, ErrNotSupported)
	}
	res := RebuildResult{Image: c.Image}
	var err error
	if res.Old, _, err = o.imageID(ctx, c.Image); err != nil {
		return res, fmt.Errorf("look up image %s (%s): %w", c.Image, ref, err)
	}
	start := o.clock.Now()
	if err := o.buildImage(ctx, stack, &imageJob{ref: c.Image, build: c.Build, users: ref.String()}); err != nil {
		return res, err
	}
	res.Built = o.clock.Since(start)
	if res.ImageID, _, err = o.imageID(ctx, c.Image); err != nil {
		return res, fmt.Errorf("look up image %s (%s): %w", c.Image, ref, err)
	}
	res.Unchanged = res.ImageID == res.Old
	return res, nil
}

// ReplaceRebuilt replaces the containers that run the image Rebuild built again — as Apply
// does, in lifecycle order with their readiness gates; the infra container, the network and
// every other container are not touched — and returns once they run the new image. The
// image it replaced is then removed when nothing names or uses it any more (ImagePruner).
func (o *Orchestrator) ReplaceRebuilt(ctx context.Context, rb RebuildResult) (ReplaceResult, error) {
	var res ReplaceResult
	if rb.Unchanged || rb.ImageID == "" {
		return res, nil
	}
	o.applyMu.Lock()
	stack := o.Stack() // an apply may have come meanwhile: converge onto what runs now
	var names []string
	ids := map[string]string{}
	o.podsMu.RLock()
	for _, p := range o.selected {
		pr := o.pods[p.Name]
		if pr == nil {
			continue
		}
		for k, v := range pr.spec.ImageIDs {
			ids[k] = v
		}
		for _, pc := range p.Containers() {
			if pc.Image == rb.Image {
				names = append(names, p.Name)
				break
			}
		}
	}
	o.podsMu.RUnlock()
	if len(names) == 0 {
		o.applyMu.Unlock()
		return res, fmt.Errorf("replace the containers of image %s: no container of the stack runs it any more: %w", rb.Image, ErrUnknownContainer)
	}
	ids[rb.Image] = rb.ImageID
	sel, err := selectPods(stack, names)
	if err != nil {
		o.applyMu.Unlock()
		return res, err
	}
	ar, err := o.submit(ctx, &applyReq{stack: stack, sel: sel, partial: true, ids: ids})
	o.applyMu.Unlock()
	res.Changes = ar.Changes
	if err != nil {
		return res, err
	}
	if p, ok := o.rt.(ImagePruner); ok && rb.Old != "" {
		res.Pruned, _ = p.PruneImage(context.WithoutCancel(ctx), rb.Old)
	}
	return res, nil
}

// SyncFile is one path of a watch's sync: Source, a host path, is copied to Target, an
// absolute path in the container; with Source empty, Target is deleted there.
type SyncFile struct {
	Source string `json:"source,omitempty"`
	Target string `json:"target"`
}

// SyncResult says what SyncFiles did.
type SyncResult struct {
	Files   int   // regular files and links copied
	Bytes   int64 // their size
	Deleted int   // paths deleted in the container
	// NotDeleted is how many deletions could not be made, and DeleteError why: the archive
	// API only adds files, so deleting runs `rm` in the container, which an image without
	// one (FROM scratch, distroless) lacks.
	NotDeleted  int
	DeleteError string
}

// SyncFiles copies files from the host into ref's container as it is now — running, or
// created or exited: its filesystem is there — through the engine's archive API (nothing is
// needed in the image), then deletes there the paths deleted on the host, with `rm -rf` in
// the container when its image has one (see SyncResult). The container is not restarted.
// Files synced into a container are lost when it is replaced (a rebuild, an apply).
func (o *Orchestrator) SyncFiles(ctx context.Context, ref ContainerRef, files []SyncFile) (SyncResult, error) {
	var res SyncResult
	fc, ok := o.rt.(FileCopier)
	if !ok {
		return res, fmt.Errorf("sync into %s: %w: the engine adapter cannot copy files into a container", ref, ErrNotSupported)
	}
	v := o.Snapshot()
	var c *ContainerView
	if p := v.Pod(ref.Pod); p != nil {
		c = p.Container(ref.Container)
	}
	switch {
	case c == nil:
		return res, fmt.Errorf("sync into %s: %w", ref, ErrUnknownContainer)
	case c.ID == "" || c.State == CStateRemoved:
		return res, fmt.Errorf("sync into %s: it has no container now (%s): nothing was copied; "+
			"a container created anew has its image's files", ref, c.State)
	}
	var copies []SyncFile
	var deletes []string
	for _, f := range files {
		if f.Source == "" {
			deletes = append(deletes, f.Target)
		} else {
			copies = append(copies, f)
		}
	}
	if len(copies) > 0 {
		n, bytes, err := fc.CopyIn(ctx, c.ID, copies)
		res.Files, res.Bytes = n, bytes
		if err != nil {
			return res, err
		}
	}
	if len(deletes) == 0 {
		return res, nil
	}
	sort.Strings(deletes)
	out, err := o.rt.Exec(ctx, c.ID, append([]string{"rm", "-rf", "--"}, deletes...))
	switch {
	case err == nil && out.ExitCode == 0:
		res.Deleted = len(deletes)
		return res, nil
	case err == nil:
		err = fmt.Errorf("rm exited %d: %s", out.ExitCode, strings.TrimSpace(out.Output))
	case errors.Is(err, ErrEngineUnreachable) || ctx.Err() != nil:
		return res, err
	}
	res.NotDeleted = len(deletes)
	res.DeleteError = fmt.Sprintf("deleted on the host, still in the container: %s (the engine's archive API only adds files, "+
		"and rm in the container failed: %v; the container's next replacement, a rebuild, drops them)", strings.Join(deletes, ", "), err)
	return res, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// WatchEvent is what a watch did about one container (or, without one, about the stack):
// watching its rules' paths, files changed, a sync, a rebuild and the replacement of the
// container, a restart, a failure. Text says it in words, as every view shows it, and Level
// how much it matters.
type WatchEvent struct {
	EventMeta
	Pod       string              `json:"pod,omitempty"`
	Container string              `json:"container,omitempty"`
	Phase     WatchPhase          `json:"phase"`
	Action    recipes.WatchAction `json:"action"`
	// Rules (watching) are the container's watch rules, their paths relative to the stack's
	// directory.
	Rules []recipes.WatchRule `json:"rules,omitempty"`
	// Paths (changed) are the first WatchPathsShown changed paths, relative to the stack's
	// directory, sorted; More says how many others changed.
	Paths []string `json:"paths,omitempty"`
	More  int      `json:"more,omitempty"`
	// Queued (changed): the action waits for the one under way for this container.
	Queued bool `json:"queued,omitempty"`
	// Synced: files and links copied, their bytes, paths deleted.
	Files   int   `json:"files,omitempty"`
	Bytes   int64 `json:"bytes,omitempty"`
	Deleted int   `json:"deleted,omitempty"`
	// Image (rebuilding, rebuilt) is the image reference built; Unchanged (rebuilt): every
	// step came from the cache, the image is the one the container runs.
	Image     string `json:"image,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
	// ID (replaced) is the new container's ID.
	ID string `json:"id,omitempty"`
	// Duration: the sync, the build (rebuilt), change to replacement (replaced), the restart.
	Duration recipes.Duration `json:"duration,omitzero"`
	// Error says why the action failed (failed), what could not be done (synced: deletions),
	// why the watch stopped (stopped).
	Error string `json:"error,omitempty"`
}

// WatchPathsShown is how many changed paths a WatchEvent lists.
const WatchPathsShown = 5

// WatchPhase is what a WatchEvent says happened.
type WatchPhase int

const (
	WatchWatching   WatchPhase = iota // the container's rules' paths are watched
	WatchChanged                      // files changed: the action follows (or is queued)
	WatchSynced                       // files copied into the container, deletions made
	WatchRebuilding                   // the image build started (ImageEvents carry its progress)
	WatchRebuilt                      // the image is built
	WatchReplaced                     // the container was replaced by one of the new image
	WatchRestarted                    // the container was restarted
	WatchFailed                       // the action failed (Error); the container runs on as it was
	WatchStopped                      // the watch ended
)

var watchPhaseNames = enum[WatchPhase]{"watch phase", []string{"watching", "changed", "synced", "rebuilding", "rebuilt", "replaced", "restarted", "failed", "stopped"}}

func (p WatchPhase) String() string                { return watchPhaseNames.name(p) }
func (p WatchPhase) MarshalText() ([]byte, error)  { return watchPhaseNames.text(p) }
func (p *WatchPhase) UnmarshalText(b []byte) error { return watchPhaseNames.unmarshal(p, b) }

func (WatchEvent) Type() string                 { return "watch" }
func (e WatchEvent) withMeta(m EventMeta) Event { e.EventMeta = m; return e }

func (e WatchEvent) MarshalJSON() ([]byte, error) {
	type plain WatchEvent
	return typedJSON(e.Type(), plain(e))
}

// Level is how much the event matters: an error for a failed action, a warning for a sync
// whose deletions could not be made, else information.
func (e WatchEvent) Level() Level {
	switch {
	case e.Phase == WatchFailed:
		return LevelError
	case e.Error != "":
		return LevelWarning
	}
	return LevelInfo
}

// Text says the event in words, for a line about its container: "changed: index.html →
// rebuild", "synced 2 files (1.2 KiB) in 35ms", "replaced in 2.1s (new container 3c4d…)".
func (e WatchEvent) Text() string {
	var b strings.Builder
	switch e.Phase {
	case WatchWatching:
		b.WriteString("watching ")
		for i, r := range e.Rules {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(r.Path + " (" + r.Action.String())
			if r.Target != "" && (r.Action == recipes.WatchSync || r.Action == recipes.WatchSyncRestart) {
				b.WriteString(" to " + r.Target)
			}
			b.WriteString(")")
		}
	case WatchChanged:
		b.WriteString("changed: " + strings.Join(e.Paths, ", "))
		if e.More > 0 {
			fmt.Fprintf(&b, " (+%d more)", e.More)
		}
		b.WriteString(" → " + e.Action.String())
		if e.Queued {
			b.WriteString(", after the one under way")
		}
	case WatchSynced:
		fmt.Fprintf(&b, "synced %s (%s)", plural(e.Files, "file"), byteSize(e.Bytes))
		if e.Deleted > 0 {
			fmt.Fprintf(&b, ", deleted %d", e.Deleted)
		}
		fmt.Fprintf(&b, " in %s", roundDuration(e.Duration.D()))
	case WatchRebuilding:
		b.WriteString("rebuilding image " + e.Image)
	case WatchRebuilt:
		fmt.Fprintf(&b, "rebuilt image %s in %s", e.Image, roundDuration(e.Duration.D()))
		if e.Unchanged {
			b.WriteString(": unchanged, nothing to replace")
		}
	case WatchReplaced:
		fmt.Fprintf(&b, "replaced %s after the change", roundDuration(e.Duration.D()))
		if e.ID != "" {
			fmt.Fprintf(&b, " (new container %s)", shortImageID(e.ID))
		}
	case WatchRestarted:
		fmt.Fprintf(&b, "restarted in %s", roundDuration(e.Duration.D()))
	case WatchFailed:
		b.WriteString(e.Action.String() + " failed")
	case WatchStopped:
		b.WriteString("stopped watching")
	}
	if e.Error != "" {
		b.WriteString(": " + e.Error)
	}
	return b.String()
}

// byteSize writes n bytes for reading: 512 B, 1.2 KiB, 3.4 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// roundDuration rounds a duration for reading: 35ms, 1.2s, 1m30s.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
