//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// racerEnv makes the test binary a racer process (see lockRacer) instead of running tests.
const racerEnv = "SIDECAR_TEST_LOCK_RACER"

func init() {
	if dir := os.Getenv(racerEnv); dir != "" {
		os.Exit(lockRacer(dir))
	}
}

// lockRacer takes and gives up stack "race" in dir racerRounds times, as ups of the same
// stack would, and between its own holds lists the live stacks as ps does (which removes what
// looks stale). While it holds the stack it checks that nobody else does: a file only a holder
// creates must not exist yet. Exit 3: two processes held the stack at once.
func lockRacer(dir string) int {
	rounds, _ := strconv.Atoi(os.Getenv("SIDECAR_TEST_LOCK_ROUNDS"))
	holder := filepath.Join(dir, "holder")
	for held := 0; held < rounds; {
		h, err := holdStack(dir, "race")
		if errors.Is(err, ErrStackRunning) {
			liveStacks(dir)
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		held++
		go func() {
			_ = http.Serve(h.ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
		}()
		f, err := os.OpenFile(holder, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(os.Stderr, "two holders of the stack at once: %v\n", err)
			return 3
		}
		f.Close()
		if err := os.Remove(holder); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		h.release()
	}
	return 0
}

// Lock files are removed when their up ends, and two processes racing for one stack (taking
// and giving it up, and clearing what looks stale, as up and ps do) never hold it both at once:
// a lock on a file that was removed meanwhile is retaken on the path's new file.
func TestLockFilesRemovedWithoutDoubleHolders(t *testing.T) {
	dir := controlTestDir(t)
	const racers, rounds = 3, 300
	var wg sync.WaitGroup
	outs := make([][]byte, racers)
	errs := make([]error, racers)
	for i := range racers {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), racerEnv+"="+dir, "SIDECAR_TEST_LOCK_ROUNDS="+strconv.Itoa(rounds))
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			t.Errorf("racer %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	lock, sock := stackFiles(dir, "race")
	for _, p := range []string{lock, sock} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is left after every up ended: %v", p, err)
		}
	}
}

// A lock file left by a killed up (lock free, no socket) is removed by the next ps.
func TestStaleLockFileRemoved(t *testing.T) {
	dir := controlTestDir(t)
	lock, _ := stackFiles(dir, "killed")
	if err := os.WriteFile(lock, []byte("123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if live := liveStacks(dir); len(live) != 0 {
		t.Errorf("live stacks: %v", live)
	}
	if _, err := os.Stat(lock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale lock file is still there: %v", err)
	}
	// A held lock stays.
	h, err := holdStack(dir, "held")
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	held, _ := stackFiles(dir, "held")
	liveStacks(dir)
	if _, err := os.Stat(held); err != nil {
		t.Errorf("a held lock file was removed: %v", err)
	}
}
