//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/control"
)

// takenEnv makes the test binary a supervisor that found its stack taken: it reports so on
// the report pipe, as a real one does, and exits 1.
const takenEnv = "SIDECAR_TEST_TAKEN_SUPERVISOR"

func init() {
	if os.Getenv(takenEnv) != "" {
		pipe := os.NewFile(reportFD, "report")
		res := control.NewResult(exitFailure, "sidecar: stack already running: stack job is run by sidecar up (pid 1)\n")
		res.Taken = true
		b, _ := json.Marshal(res)
		pipe.Write(append(b, '\n'))
		os.Exit(1)
	}
}

// Of two up -d of a fresh stack at once, the one whose supervisor finds the stack taken by
// the other's converges it, exit 0, rather than fail; the supervisor that lost says so on
// its report pipe and leaves the log alone (it is the other one's).
func TestUpDetachThatLostTheRaceConverges(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	file := recipe(t, jobRecipe)
	winner := testCLI(t, rt, dir)
	var truncated atomic.Int32
	wait := winner.up(file, func(o *UpOptions) {
		o.supervise = &superviseOptions{log: filepath.Join(t.TempDir(), "job.log"), truncateLog: func() error { truncated.Add(1); return nil }}
	})
	winner.until("the stack running", winner.running("job-work"))
	if truncated.Load() != 1 {
		t.Errorf("the winning supervisor emptied its log %d times, want once", truncated.Load())
	}

	// The losing supervisor, in process: its report says the stack was taken.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	loser := testCLI(t, rt, dir)
	sup := &superviseOptions{log: "unused", report: bufio.NewWriter(w), pipe: w, truncateLog: func() error { truncated.Add(1); return nil }}
	err = upRun(context.Background(), loser.upOptions(file, func(o *UpOptions) { o.supervise = sup }))
	if exitOf(err) != exitFailure {
		t.Fatalf("the losing supervisor: %v", err)
	}
	sup.result(err, newRootCmd(loser.f))
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	var res control.Result
	if err := json.Unmarshal([]byte(line), &res); err != nil || !res.Taken {
		t.Errorf("the losing supervisor reported %q (%v), want taken", line, err)
	}
	if truncated.Load() != 1 {
		t.Error("the losing supervisor emptied the log of the one that runs the stack")
	}

	// Its up -d, following a supervisor process that reports just that, converges the stack.
	st, _, err := loadStack(loser.f, recipeFiles{file})
	if err != nil {
		t.Fatal(err)
	}
	engineDir, err := loser.f.controlDirOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err = os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), takenEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	follower := testCLI(t, rt, dir)
	err = follower.upOptions(file, func(o *UpOptions) { o.Detach = true }).followSupervisor(context.Background(), cmd, r, filepath.Join(t.TempDir(), "job.log"), engineDir, st)
	r.Close()
	if err != nil || !strings.Contains(follower.out.String(), "Stack job is up to date.") {
		t.Errorf("the up -d that lost: %v\n%s%s", err, follower.out, follower.errOut)
	}

	if err := winner.down("job", 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("the winning supervisor: %v", err)
	}
}

// blockingReader is a standard input whose writer never writes nor closes: reading it blocks
// (after saying so on reading).
type blockingReader struct {
	reading chan struct{}
	once    sync.Once
	never   chan struct{}
}

func (b *blockingReader) Read([]byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	<-b.never
	return 0, io.EOF
}

// A recipe read from a FIFO (waiting for a writer to open it, or for the writer to close it)
// or from the standard input ends on Ctrl-C, SIGTERM or SIGHUP: exit 130, "interrupted".
func TestRecipeReadIsInterruptible(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// cli runs args with a context that is cancelled (as a signal cancels it) once ready is
	// closed; it returns the exit status, and what was said on stderr.
	cli := func(ready <-chan struct{}, in io.Reader, args ...string) (int, string) {
		f, _, errOut := testFactory(t)
		if in != nil {
			f.IO.In = in
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		code := make(chan int, 1)
		go func() { code <- execute(ctx, f, args) }()
		select {
		case <-ready:
		case c := <-code:
			t.Fatalf("%v ended (exit %d) before it was interrupted:\n%s", args, c, errOut)
		}
		cancel()
		select {
		case c := <-code:
			return c, errOut.String()
		case <-time.After(20 * time.Second):
			t.Fatalf("%v did not end on the interrupt", args)
			return 0, ""
		}
	}
	check := func(what string, code int, errOut string) {
		t.Helper()
		if code != exitInterrupted || !strings.Contains(errOut, "sidecar: interrupted") {
			t.Errorf("%s: exit %d, want 130\n%s", what, code, errOut)
		}
	}

	// No writer has opened the FIFO: the read waits in opening it.
	now := make(chan struct{})
	close(now)
	code, errOut := cli(now, nil, "validate", "-f", fifo)
	check("a FIFO nobody writes", code, errOut)

	// A writer has opened it and writes nothing: the read waits for data.
	opened := make(chan struct{})
	var w *os.File
	go func() {
		defer close(opened)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			// Opening the write end without waiting succeeds once a reader has it open.
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w = f
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	code, errOut = cli(opened, nil, "validate", "-f", fifo)
	if w == nil {
		t.Fatal("the validate never opened the FIFO")
	}
	w.Close()
	check("a FIFO whose writer writes nothing", code, errOut)

	// -f -: the standard input, whose writer writes nothing.
	in := &blockingReader{reading: make(chan struct{}), never: make(chan struct{})}
	defer close(in.never)
	code, errOut = cli(in.reading, in, "validate", "-f", "-")
	check("the standard input", code, errOut)
}
