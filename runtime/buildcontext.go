package runtime

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// builtContext is a build context being sent: the tar stream and the Dockerfile's path in it.
// Close tar when done with it; that also ends the goroutine writing it.
type builtContext struct {
	tar        io.ReadCloser
	dockerfile string
}

// buildContext tars dir the way the docker CLI does: paths matched by .dockerignore are left
// out; .dockerignore itself goes in (the builder reads it). The Dockerfile goes in at its own
// path, unless it lies outside dir or is ignored: then it is added under a generated name that
// the shipped .dockerignore excludes from COPY. An inline Dockerfile (its text, not "") goes in
// that way too, dockerfile unread: the generated name cannot be a file of the context's, nor
// can COPY . take it. Owners are 0:0; modes, times and symlinks are kept; other special files
// are skipped. Problems found before the walk are returned at once; later ones end the stream
// with an error.
func buildContext(dir, dockerfile, inline string) (builtContext, error) {
	if !filepath.IsAbs(dir) {
		return builtContext{}, fmt.Errorf("build context %q must be an absolute path", dir)
	}
	if st, err := os.Stat(dir); err != nil {
		return builtContext{}, fmt.Errorf("build context: %w", err)
	} else if !st.IsDir() {
		return builtContext{}, fmt.Errorf("build context %s is not a directory", dir)
	}
	dfPath := dockerfile
	if !filepath.IsAbs(dfPath) {
		dfPath = filepath.Join(dir, dockerfile)
	}
	dfContent := []byte(inline)
	if inline == "" {
		var err error
		if dfContent, err = os.ReadFile(dfPath); err != nil {
			return builtContext{}, fmt.Errorf("dockerfile: %w (the recipe's build.dockerfile is relative to the build context)", err)
		}
	}

	var ignoreFile []byte
	var patterns []string
	if b, err := os.ReadFile(filepath.Join(dir, ".dockerignore")); err == nil {
		ignoreFile = b
		if patterns, err = ignorefile.ReadAll(bytes.NewReader(b)); err != nil {
			return builtContext{}, fmt.Errorf("read %s: %w", filepath.Join(dir, ".dockerignore"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return builtContext{}, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return builtContext{}, fmt.Errorf("%s: %w", filepath.Join(dir, ".dockerignore"), err)
	}

	dfInTar, inside := relPath(dir, dfPath)
	separate := !inside || inline != ""
	if !separate {
		ignored, err := pm.MatchesOrParentMatches(dfInTar)
		if err != nil {
			return builtContext{}, err
		}
		separate = ignored
	}
	if separate {
		sum := sha256.Sum256(dfContent)
		dfInTar = ".sidecar-dockerfile-" + hex.EncodeToString(sum[:8])
	}

	pr, pw := io.Pipe()
	go func() { // ends when the tar is written or the reader is closed
		pw.CloseWithError(writeContext(pw, dir, pm, separate, ignoreFile, dfInTar, dfContent))
	}()
	return builtContext{tar: pr, dockerfile: dfInTar}, nil
}

func writeContext(w io.Writer, dir string, pm *patternmatcher.PatternMatcher, separate bool, ignoreFile []byte, dfInTar string, dfContent []byte) error {
	tw := tar.NewWriter(w)
	parents := map[string]patternmatcher.MatchInfo{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := relPath(dir, path)
		switch {
		case rel == ".":
			return nil
		case rel == ".dockerignore" && separate:
			return nil // written below, amended
		case rel == ".dockerignore":
			return addToTar(tw, path, rel, e)
		}
		excluded, info, err := pm.MatchesUsingParentResults(rel, parents[filepath.ToSlash(filepath.Dir(rel))])
		if err != nil {
			return err
		}
		if e.IsDir() {
			parents[rel] = info
		}
		if excluded {
			// A directory can be skipped whole only when no exception (!pattern) could bring
			// back something inside it.
			if e.IsDir() && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		return addToTar(tw, path, rel, e)
	})
	if err != nil {
		return fmt.Errorf("tar build context %s: %w", dir, err)
	}
	if separate {
		ignoreFile = append(ignoreFile, []byte("\n"+dfInTar+"\n.dockerignore\n")...)
		for _, f := range []struct {
			name string
			data []byte
		}{{".dockerignore", ignoreFile}, {dfInTar, dfContent}} {
			hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func addToTar(tw *tar.Writer, path, rel string, e fs.DirEntry) error {
	info, err := e.Info()
	if err != nil {
		return err
	}
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	case info.IsDir(), info.Mode().IsRegular():
	default:
		return nil // sockets, devices, pipes: not part of a build context
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = rel
	if info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.Format = tar.FormatPAX
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
