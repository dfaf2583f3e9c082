// Package syncbuf is a buffer one goroutine writes while others read it: a command's output
// read by a test or a benchmark while the command runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent Write and String. The zero value is empty and
// ready; with Max set it keeps only the last Max bytes written (a command's stderr kept for
// its error message).
type Buffer struct {
	Max int

	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}: // a nil channel (Changed not called yet) never receives
	default:
	}
	b.b.Write(p)
	if over := b.b.Len() - b.Max; b.Max > 0 && over > 0 {
		b.b.Next(over)
	}
	return len(p), nil
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Changed receives after a write made once it was called; writes it has not received yet
// make one receive, not one each.
func (b *Buffer) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{}, 1)
	}
	return b.changed
}
