package recipes

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The importers' fuzz targets: whatever the content, an importer returns a stack or
// Problems placed inside the file, never panics and never touches the disk (reads go
// through Options.ReadFile and Options.Stat, both fakes here). Inputs the content detection
// gives to the importer also go through the whole pipeline.
//
//	go test ./recipes -run '^$' -fuzz FuzzImportCompose -fuzztime 3m
//	go test ./recipes -run '^$' -fuzz FuzzImportKube -fuzztime 3m

func fuzzOptions() Options {
	read := func(p string) ([]byte, error) {
		switch filepath.Base(p) {
		case ".env":
			return []byte("TAG=dev\nA=${TAG}\n"), nil
		case "app.env":
			return []byte("X=1\nY=${X}\n"), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	stat := func(p string) (fs.FileInfo, error) {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return Options{Env: map[string]string{"WEB_PORT": "8080", "EMPTY": ""}, Dir: "/fuzz/stack", DotEnv: true, ReadFile: read, Stat: stat}
}

// addFuzzSeeds seeds f with the golden fixtures (testdata/fuzz/<target>/ holds the crashers
// found so far, which the fuzzing engine reads by itself).
func addFuzzSeeds(f *testing.F, pattern string) {
	seeds, _ := filepath.Glob(pattern)
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
}

// checkImport checks what an importer (or Load) gave back for content.
func checkImport(t *testing.T, content []byte, st *Stack, warnings []Warning, err error) {
	t.Helper()
	lines := yamlLines(content)
	inFile := func(p Position) bool {
		return p.File != "" && p.Line >= 0 && p.Line <= lines && p.Col >= 0
	}
	if err != nil {
		var ps Problems
		if !errors.As(err, &ps) || !errors.Is(err, ErrInvalid) {
			t.Fatalf("error is not Problems: %T %v", err, err)
		}
		if len(ps) == 0 {
			t.Fatal("empty Problems returned as an error")
		}
		for _, p := range ps {
			if p.Message == "" || !inFile(p.Pos) {
				t.Fatalf("problem without a message or outside the file (%d lines): %#v", lines, p)
			}
		}
		if st != nil {
			t.Fatal("a stack and problems together")
		}
	} else if st == nil {
		t.Fatal("neither a stack nor problems")
	}
	for _, w := range warnings {
		if w.Message == "" || !inFile(w.Pos) {
			t.Fatalf("warning without a message or outside the file (%d lines): %#v", lines, w)
		}
	}
}

// yamlLines counts lines as YAML does: CR LF, CR, LF, NEL, LS and PS all break lines.
func yamlLines(content []byte) int {
	s := strings.ReplaceAll(string(content), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

func FuzzImportCompose(f *testing.F) {
	addFuzzSeeds(f, "../testdata/compose/*.yaml")
	addFuzzSeeds(f, "../testdata/realworld/compose/*.yaml")
	f.Add([]byte("services:\n  a: {image: x, network_mode: 'service:a'}\n"))
	f.Add([]byte("services:\n  a: &a {image: x, depends_on: [b]}\n  b: *a\n"))
	f.Add([]byte("services:\n  a: {image: x, ports: ['1-3:1-3', '${WEB_PORT}:80/udp']}\n"))
	fuzzImport(f, loadCompose, SourceCompose)
}

// fuzzImport checks what an importer, and Load for the files of its kind, give for any
// content.
func fuzzImport(f *testing.F, load func(File, Options, *Positions) (*Stack, []Warning, error), kind SourceKind) {
	f.Fuzz(func(t *testing.T, content []byte) {
		opts := fuzzOptions()
		st, ws, err := load(File{Name: "fuzz.yaml", Content: content}, opts, NewPositions("fuzz.yaml"))
		checkImport(t, content, st, ws, err)
		if Detect(content) == kind {
			st, ws, err := Load(File{Name: "fuzz.yaml", Content: content}, opts)
			checkImport(t, content, st, ws, err)
		}
	})
}

func FuzzImportKube(f *testing.F) {
	addFuzzSeeds(f, "../testdata/kube/*.yaml")
	addFuzzSeeds(f, "../testdata/realworld/kube/*.yaml")
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: List, items: []}]\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x, args: ['$(A)$$(B)$(']}]}\n"))
	fuzzImport(f, loadKube, SourceKube)
}

// loadCompose imports one compose file, as Load does: a stack, or the problems.
func loadCompose(f File, opts Options, pos *Positions) (*Stack, []Warning, error) {
	in, fatal := parseInput(f)
	if fatal != nil {
		return nil, nil, fatal.Err()
	}
	opts.Dir = stackDir(f.Name, opts.Dir)
	dot := loadDotEnv(opts)
	r := importCompose([]*input{in}, opts, dot.env, pos)
	r.problems = append(dot.probs, r.problems...)
	return r.strict()
}
