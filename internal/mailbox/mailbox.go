// Package mailbox is an unbounded queue with a wake-up channel: putting never blocks, so
// producers never wait on the goroutine that drains the box, and that goroutine never waits
// on them.
package mailbox

import "sync"

// Box holds what was put until it is taken. The zero value is not usable; use New.
type Box[T any] struct {
	mu    sync.Mutex
	items []T
	ready chan struct{}
}

// New returns an empty box.
func New[T any]() *Box[T] { return &Box[T]{ready: make(chan struct{}, 1)} }

// Put appends x and wakes the reader; it never blocks.
func (b *Box[T]) Put(x T) {
	b.mu.Lock()
	b.items = append(b.items, x)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// Take returns everything put since the last Take, in order, and empties the box.
func (b *Box[T]) Take() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}

// Ready receives a value when Take may return something; one value may stand for many Puts,
// and a value may come when a Take already returned the items.
func (b *Box[T]) Ready() <-chan struct{} { return b.ready }
