package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// tree watches the rules' paths with fsnotify (inotify on Linux), which watches one
// directory level: a directory rule's tree is watched directory by directory, and each
// directory created in it later (or moved into it) is added as it appears, what is already
// in it reported as created. A file rule watches the file's directory, so that an editor's
// save by rename (a new file in place of the old) is seen. Directories that nothing of any
// rule's can be in (ignored, .git) are not watched at all.
type tree struct {
	w       *fsnotify.Watcher
	rules   []*rule
	watched map[string]bool // directories watched
}

// fsChange is one path that changed, as the rules will judge it.
type fsChange struct {
	path    string
	created bool
}

func newTree(rules []*rule) (*tree, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch files: %w", err)
	}
	t := &tree{w: w, rules: rules, watched: map[string]bool{}}
	for _, r := range rules {
		var err error
		if r.file {
			err = t.add(filepath.Dir(r.root))
		} else {
			_, err = t.addTree(r.root)
		}
		if err != nil {
			w.Close()
			return nil, err
		}
	}
	return t, nil
}

func (t *tree) close() { t.w.Close() }

func (t *tree) add(dir string) error {
	if t.watched[dir] {
		return nil
	}
	if err := t.w.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("watch %s: the system's limit of watched directories is reached (sysctl fs.inotify.max_user_watches): "+
				"leave big trees out with the rule's ignore or the build context's .dockerignore, or raise the limit", dir)
		}
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	t.watched[dir] = true
	return nil
}

// wanted reports whether directory dir is to be watched: some directory rule may care about
// what is in it.
func (t *tree) wanted(dir string) bool {
	for _, r := range t.rules {
		if !r.file && !r.prunes(dir) {
			return true
		}
	}
	return false
}

// addTree watches dir and every directory below it that is wanted, and returns what is in
// them (directories and files, not dir itself).
func (t *tree) addTree(dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone meanwhile
			}
			return err
		}
		if p != dir {
			found = append(found, p)
		}
		if !e.IsDir() {
			return nil
		}
		if !t.wanted(p) {
			return filepath.SkipDir
		}
		return t.add(p)
	})
	return found, err
}

// expand turns an fsnotify event into the changes it stands for: the path itself and, for a
// directory created (or moved in), what is in it, which is now watched too.
func (t *tree) expand(ev fsnotify.Event) ([]fsChange, error) {
	p := filepath.Clean(ev.Name)
	switch {
	case ev.Has(fsnotify.Create):
		out := []fsChange{{path: p, created: true}}
		if st, err := os.Lstat(p); err == nil && st.IsDir() && t.wanted(p) {
			found, err := t.addTree(p)
			for _, f := range found {
				out = append(out, fsChange{path: f, created: true})
			}
			return out, err
		}
		return out, nil
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		// fsnotify drops the watch of a directory removed or moved away; forget it and
		// what was below it, so that one created again in its place is watched anew.
		for d := range t.watched {
			if d == p || strings.HasPrefix(d, p+string(filepath.Separator)) {
				delete(t.watched, d)
			}
		}
	case ev.Has(fsnotify.Chmod):
		if t.watched[p] {
			return nil, nil // a directory's mode or times: nothing in it changed
		}
	}
	return []fsChange{{path: p}}, nil
}
