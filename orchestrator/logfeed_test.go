package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// feedText reads a feed until want is in its text (or it ends), as "container | line" and
// "container * note" lines.
func feedText(t *testing.T, f orchestrator.LogFeed, b *strings.Builder, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !strings.Contains(b.String(), want) {
		evs, err := f.Next(ctx)
		if err != nil {
			if !errors.Is(err, io.EOF) || !strings.Contains(b.String(), want) {
				t.Fatalf("feed ended (%v) before %q:\n%s", err, want, b)
			}
			return
		}
		for _, ev := range evs {
			switch e := ev.(type) {
			case orchestrator.LogEvent:
				fmt.Fprintf(b, "%s | %s\n", e.Container, e.Text)
			case orchestrator.MessageEvent:
				fmt.Fprintf(b, "%s * %s\n", e.Container, e.Text)
			}
		}
	}
}

// EngineLogs follows a container across its restarts, and a container of the stack that
// starts later, until the stack's containers are removed.
func TestEngineLogsFollow(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	create := func(name string, order int) string {
		t.Helper()
		id, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-" + name, Image: "img",
			Labels: orchestrator.Labels{Stack: "s", Pod: "s", Container: name, Role: recipes.RoleSidecar, Order: order, HasOrder: true}.Encode()})
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	web := create("web", 1)
	if err := rt.Print("s-web", orchestrator.Stdout, "one"); err != nil {
		t.Fatal(err)
	}
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Follow: true, Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	var b strings.Builder
	feedText(t, feed, &b, "web | one\n")

	if err := rt.Print("s-web", orchestrator.Stderr, "two \x1b]0;title\a"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "web | two \n")
	if err := rt.Exit("s-web", 1); err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, web); err != nil {
		t.Fatal(err)
	}
	if err := rt.Print("s-web", orchestrator.Stdout, "three"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "web | three\n")
	create("late", 0)
	if err := rt.Print("s-late", orchestrator.Stdout, "hello"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "late | hello\n")
	for _, n := range []string{"s-web", "s-late"} {
		if err := rt.Remove(n); err != nil {
			t.Fatal(err)
		}
	}
	feedText(t, feed, &b, "")
	want := "web | one\nweb | two \nweb * restarted\nweb | three\nlate * started\nlate | hello\n"
	if got := b.String(); got != want {
		t.Errorf("feed:\n%s\nwant:\n%s", got, want)
	}
	// Removed: the feed ends.
	nctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if _, err := feed.Next(nctx); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("after the stack was removed: %v, want io.EOF", err)
			}
			break
		}
	}
}

func TestEngineLogsErrors(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	if _, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s"}); !errors.As(err, new(*orchestrator.NoContainersError)) {
		t.Errorf("no containers: %v", err)
	}
	if _, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-web", Image: "img",
		Labels: orchestrator.Labels{Stack: "s", Pod: "s", Container: "web", Role: recipes.RoleMain}.Encode()}); err != nil {
		t.Fatal(err)
	}
	var unknown *orchestrator.UnknownContainerError
	if _, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Containers: []string{"db"}}); !errors.As(err, &unknown) ||
		err.Error() != `no container "db" in the stack: it has web` {
		t.Errorf("unknown container: %v", err)
	}
}
