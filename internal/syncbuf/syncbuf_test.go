package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	changed := b.Changed()
	select {
	case <-changed:
		t.Fatal("changed before any write")
	default:
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "%d.%d\n", i, j)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
	select {
	case <-changed:
	case <-time.After(time.Second):
		t.Fatal("no change after the writes")
	}
	select {
	case <-changed:
		t.Fatal("a second change for writes already received")
	default:
	}
}

func TestBufferMax(t *testing.T) {
	b := Buffer{Max: 5}
	for _, s := range []string{"abc", "defg", "h"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "defgh" {
		t.Errorf("kept %q, want the last 5 bytes", got)
	}
}
