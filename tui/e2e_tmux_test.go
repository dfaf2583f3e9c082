package tui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestTmuxEndToEnd runs `sidecar up` in tmux on the real engine: the TUI comes up, two
// containers' log lines share a screen row, a resize re-lays out, the shell key hands the
// terminal to docker exec and comes back, `q` tears everything down and the engine holds
// nothing of the stack afterwards.
//
// It needs tmux and a Docker Engine: without either it fails under CI=true and is skipped
// otherwise.
func TestTmuxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sidecar")
	run(t, root, "go", "build", "-o", bin, "./cmd/sidecar")
	need(t, "tmux", exec.Command("tmux", "-V"), "install tmux (apt-get install -y tmux)")
	need(t, "a Docker Engine", exec.Command("docker", "info"), "start one")

	id := randomID(t)
	stack := "tuie2e-" + id
	image := "sidecar-tui-e2e:" + id
	buildApps(t, root, image)

	dir := t.TempDir()
	recipe := filepath.Join(dir, "sidecar.yaml")
	writeFile(t, recipe, fmt.Sprintf(`name: %s
main:
  name: web
  image: %s
  command: ["/spewer", "-lines", "0", "-rate", "2"]
sidecars:
  - name: envoy
    image: %s
    command: ["/crasher", "-forever", "-message", "envoy-%s says hello"]
  - name: emoji
    image: %s
    command: ["/crasher", "-forever", "-message", %q]
stop_grace: 10s
`, stack, image, image, id, image, strings.Join(emojiRows, "\n")))
	t.Cleanup(func() { removeStack(t, stack) })

	session := "sidecar-" + id
	exitFile := filepath.Join(dir, "exit")
	cmd := fmt.Sprintf("%s up -f %s; echo $? > %s", bin, recipe, exitFile)
	run(t, dir, "tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", "sh", "-c", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })

	// Both columns' lines side by side: web's spewer and envoy's greeting on one row.
	greeting := "envoy-" + id + " says hello"
	sideBySide := regexp.MustCompile(`│.*line 0\d+.*│.*` + regexp.QuoteMeta(greeting))
	screen := waitPane(t, session, "web's and envoy's lines on one row", func(s string) bool {
		return sideBySide.MatchString(s)
	})
	if !strings.Contains(screen, "web · main") || !strings.Contains(screen, "envoy · sidecar") {
		t.Errorf("the column titles are missing:\n%s", screen)
	}

	// Emoji, flags and combining characters move no border: as tmux draws them, every row
	// of the box ends with it (a row tmux draws wider than the renderer counted loses its
	// end, one it draws narrower ends short of the others).
	screen = waitPane(t, session, "the emoji column's lines", func(s string) bool {
		return strings.Contains(s, "Z last end")
	})
	boxRows(t, screen, 160)

	// A resize re-lays out at once: the borders span the new width.
	run(t, dir, "tmux", "resize-window", "-t", session, "-x", "100", "-y", "30")
	waitPane(t, session, "the layout at 100 columns", func(s string) bool {
		for _, row := range strings.Split(s, "\n") {
			if strings.HasPrefix(row, "└") && strings.HasSuffix(row, "┘") && len([]rune(row)) == 100 {
				return true
			}
		}
		return false
	})

	// e opens a shell through docker exec; the test image (FROM scratch) has none, and the
	// view comes back saying so.
	run(t, dir, "tmux", "send-keys", "-t", session, "e")
	waitPane(t, session, "the view back, saying web has no shell", func(s string) bool {
		return strings.Contains(s, "web has no shell") && strings.Contains(s, "web · main")
	})

	// q tears down gracefully and shows it; the program exits 0 once everything is gone.
	run(t, dir, "tmux", "send-keys", "-t", session, "q")
	deadline := time.Now().Add(60 * time.Second)
	for exec.Command("tmux", "has-session", "-t", session).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("sidecar up still runs 60s after q; the screen:\n%s", capture(session))
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	code, err := os.ReadFile(exitFile)
	if err != nil || strings.TrimSpace(string(code)) != "0" {
		t.Errorf("sidecar up exited with %q (%v), want 0", code, err)
	}
	for _, kind := range []string{"ps -a", "network ls", "volume ls"} {
		args := append(strings.Fields(kind), "-q", "--filter", "label=dev.sidecar.stack="+stack)
		if out, _ := exec.Command("docker", args...).Output(); len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("docker %s still lists the stack's objects after q: %s", kind, out)
		}
	}
}

// emojiRows are lines with characters terminals count the width of in different ways.
var emojiRows = []string{"B skin 👍🏽 end", "C flag 🇫🇷 end", "D zwj 👨\u200d👩\u200d👧 end", "E accent e\u0301 end",
	"F heart ❤️ end", "H cjk 漢字 end", "L hangul jamo \u1100\u1161 end", "Z last end"}

// boxRows checks that every row of the box on screen, as tmux shows it, is w cells wide
// (a wide character taking two) and ends with the box's right border.
func boxRows(t *testing.T, screen string, w int) {
	t.Helper()
	in := false
	for _, row := range strings.Split(screen, "\n") {
		in = in || strings.HasPrefix(row, "┌")
		if !in {
			continue
		}
		cells := 0
		for _, r := range row {
			switch {
			case unicode.Is(unicode.Mn, r):
			case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) || r >= 0x1f300:
				cells += 2
			default:
				cells++
			}
		}
		if cells != w || !strings.HasSuffix(row, "│") && !strings.HasSuffix(row, "┐") && !strings.HasSuffix(row, "┘") {
			t.Errorf("a row of the box is %d cells, want %d ending with the border: %q\n%s", cells, w, row, screen)
		}
		if strings.HasPrefix(row, "└") {
			return
		}
	}
}

// need fails (CI=true) or skips when a tool is missing.
func need(t *testing.T, what string, check *exec.Cmd, fix string) {
	t.Helper()
	if out, err := check.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("this end-to-end test needs %s (%v: %s): %s", what, err, bytes.TrimSpace(out), fix)
		if ci := strings.ToLower(os.Getenv("CI")); ci == "true" || ci == "1" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip("skipping: " + msg + "; with CI=true this is a failure")
	}
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func randomID(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// buildApps builds the project's test programs into a FROM scratch image tagged image,
// removed when the test ends.
func buildApps(t *testing.T, root, image string) {
	t.Helper()
	ctxDir := t.TempDir()
	arch := "amd64"
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Arch}}").Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		arch = string(bytes.TrimSpace(out))
	}
	for _, prog := range []string{"spewer", "crasher"} {
		c := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(ctxDir, "bin", prog), "./testdata/images/"+prog)
		c.Dir = root
		c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", prog, err, out)
		}
	}
	writeFile(t, filepath.Join(ctxDir, "Dockerfile"), "FROM scratch\nCOPY bin/ /\n")
	run(t, ctxDir, "docker", "build", "-q", "-t", image, ".")
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
}

// removeStack removes whatever the stack left (only objects with its label).
func removeStack(t *testing.T, stack string) {
	filter := "label=dev.sidecar.stack=" + stack
	for _, kind := range []struct{ list, rm string }{{"ps -a", "rm -f"}, {"network ls", "network rm"}, {"volume ls", "volume rm -f"}} {
		out, _ := exec.Command("docker", append(strings.Fields(kind.list), "-q", "--filter", filter)...).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.Command("docker", append(strings.Fields(kind.rm), ids...)...).Run()
		}
	}
}

func capture(session string) string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
	return string(out)
}

// waitPane waits until the pane satisfies cond, failing with the pane after a minute.
func waitPane(t *testing.T, session, what string, cond func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		s := capture(session)
		if cond(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: not within a minute; the pane:\n%s", what, s)
		case <-time.After(100 * time.Millisecond): // poll interval
		}
	}
}
