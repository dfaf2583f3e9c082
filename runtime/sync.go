package runtime

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// What a watch needs of the engine besides builds (images.go): files copied into a running
// container, and the image a rebuild replaced removed.

var (
	_ orchestrator.FileCopier  = (*Docker)(nil)
	_ orchestrator.ImagePruner = (*Docker)(nil)
)

// CopyIn copies host files into container id through the engine's archive API (PUT
// /containers/{id}/archive), the container created, running or exited: one tar stream,
// extracted at the container's root, each entry at its Target. Regular files keep their mode
// and modification time, links are copied as links, a directory is created (not filled);
// owners are root's. A Source that no longer exists is skipped. A Target that is a
// directory in the container and a file on the host (or the reverse) is replaced, as on the
// host. It returns how many files and links it copied and their bytes.
func (d *Docker) CopyIn(ctx context.Context, id string, files []orchestrator.SyncFile) (int, int64, error) {
	sorted := make([]orchestrator.SyncFile, 0, len(files))
	for _, f := range files {
		if !path.IsAbs(f.Target) || path.Clean(f.Target) == "/" {
			return 0, 0, fmt.Errorf("copy into container %s: target %q must be an absolute path below /", shortID(id), f.Target)
		}
		f.Target = path.Clean(f.Target)
		sorted = append(sorted, f)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Target < sorted[j].Target })
	type tally struct {
		files int
		bytes int64
		err   error
	}
	pr, pw := io.Pipe()
	written := make(chan tally, 1)
	go func() { // ends when the tar is written or the reader is closed
		var t tally
		t.files, t.bytes, t.err = writeSyncTar(pw, sorted)
		pw.CloseWithError(t.err)
		written <- t
	}()
	_, err := d.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: pr, AllowOverwriteDirWithFile: true})
	pr.Close()
	t := <-written
	what := fmt.Sprintf("copy %d file(s) into container %s", len(files), shortID(id))
	if t.err != nil && !errors.Is(t.err, io.ErrClosedPipe) {
		return t.files, t.bytes, fmt.Errorf("%s: %w", what, t.err)
	}
	if err != nil {
		return t.files, t.bytes, engineError(what, err)
	}
	return t.files, t.bytes, nil
}

// writeSyncTar writes the tar of files (sorted by target) to w and closes the tar (not w).
func writeSyncTar(w io.Writer, files []orchestrator.SyncFile) (n int, total int64, err error) {
	tw := tar.NewWriter(w)
	for _, f := range files {
		copied, err := addSyncEntry(tw, f)
		if err != nil {
			return n, total, err
		}
		if copied >= 0 {
			n++
			total += copied
		}
	}
	return n, total, tw.Close()
}

// addSyncEntry writes one file's entry: its bytes (-1 for a directory, or a source gone).
func addSyncEntry(tw *tar.Writer, f orchestrator.SyncFile) (int64, error) {
	info, err := os.Lstat(f.Source)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil // deleted since the change was seen: a later change says so
	}
	if err != nil {
		return -1, err
	}
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(f.Source); err != nil {
			return -1, err
		}
	case info.IsDir(), info.Mode().IsRegular():
	default:
		return -1, nil // sockets, devices, pipes: nothing to copy
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return -1, err
	}
	hdr.Name = strings.TrimPrefix(f.Target, "/")
	if info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.Format = tar.FormatPAX
	if !info.Mode().IsRegular() {
		if err := tw.WriteHeader(hdr); err != nil {
			return -1, err
		}
		if info.IsDir() {
			return -1, nil
		}
		return 0, nil
	}
	file, err := os.Open(f.Source)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	defer file.Close()
	// The size of the file opened, not of the name looked up: an editor may have replaced it.
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		hdr.Size, hdr.ModTime = st.Size(), st.ModTime()
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return -1, err
	}
	copied, err := io.CopyN(tw, file, hdr.Size)
	if err != nil {
		return copied, fmt.Errorf("%s changed while it was copied (%d of %d bytes): %w", f.Source, copied, hdr.Size, err)
	}
	return copied, nil
}

// PruneImage removes image id when no tag and no registry digest names it any more (a
// rebuild moved its tag to the new image), with its untagged parents that nothing else
// needs, as compose's watch prunes the images its rebuilds leave dangling. An image that is
// named, gone, or used by a container is left alone (false, nil).
func (d *Docker) PruneImage(ctx context.Context, id string) (bool, error) {
	img, err := d.cli.ImageInspect(ctx, id)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, engineError("inspect image "+id, err)
	}
	if len(img.RepoTags) > 0 || len(img.RepoDigests) > 0 {
		return false, nil
	}
	if _, err := d.cli.ImageRemove(ctx, id, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
		if isConflict(err) || isNotFound(err) {
			return false, nil // a container uses it (or it went meanwhile)
		}
		return false, engineError("remove image "+id, err)
	}
	return true, nil
}
