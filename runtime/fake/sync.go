package fake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

var (
	_ orchestrator.FileCopier  = (*Runtime)(nil)
	_ orchestrator.ImagePruner = (*Runtime)(nil)
)

// CopyIn reads the host files and keeps them as the container's (ContainerState.Files), as
// the engine's archive API would write them; directories are noted with no content.
func (r *Runtime) CopyIn(ctx context.Context, id string, files []orchestrator.SyncFile) (int, int64, error) {
	type read struct {
		target string
		data   []byte
	}
	var got []read
	for _, f := range files {
		info, err := os.Lstat(f.Source)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		if info.IsDir() {
			got = append(got, read{target: f.Target + "/"})
			continue
		}
		b, err := os.ReadFile(f.Source)
		if err != nil {
			return 0, 0, err
		}
		got = append(got, read{target: f.Target, data: b})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.getLocked("CopyIn", id)
	if err != nil {
		return 0, 0, err
	}
	n, total := 0, int64(0)
	for _, g := range got {
		c.files[g.target] = g.data
		if !strings.HasSuffix(g.target, "/") {
			n++
			total += int64(len(g.data))
		}
	}
	r.changedLocked()
	return n, total, nil
}

// PruneImage records id as removed (Pruned) unless it is the current ID of an image present.
func (r *Runtime) PruneImage(ctx context.Context, id string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("PruneImage", id); err != nil {
		return false, err
	}
	for ref, ok := range r.images {
		if ok && id == fmt.Sprintf("sha256:%s.%d", ref, r.imageGen[ref]) {
			return false, nil
		}
	}
	r.pruned = append(r.pruned, id)
	return true, nil
}

// Pruned returns the image IDs PruneImage removed, in order.
func (r *Runtime) Pruned() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.pruned...)
}

// SameBuilds makes the builds of ref give the image it had (every step from the cache).
func (r *Runtime) SameBuilds(ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cached[ref] = true
}

// execRM runs `rm -rf -- PATHS` on the container's files: every file at or under each path
// goes. It reports whether cmd was that.
func execRM(c *container, cmd []string) bool {
	if len(cmd) < 3 || cmd[0] != "rm" || cmd[1] != "-rf" {
		return false
	}
	for _, p := range cmd[2:] {
		if p == "--" {
			continue
		}
		for f := range c.files {
			if f == p || strings.HasPrefix(f, strings.TrimSuffix(p, "/")+"/") {
				delete(c.files, f)
			}
		}
	}
	return true
}
