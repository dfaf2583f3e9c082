package orchestrator

import "sync"

// mailbox is an unbounded queue with a wake-up channel: putting never blocks, so producers
// (executor goroutines, probe workers, the event pump, commands) never wait on the goroutine
// that owns the state, and that goroutine never waits on them.
type mailbox struct {
	mu    sync.Mutex
	items []any
	ready chan struct{}
}

func newMailbox() *mailbox { return &mailbox{ready: make(chan struct{}, 1)} }

func (m *mailbox) put(x any) {
	m.mu.Lock()
	m.items = append(m.items, x)
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

func (m *mailbox) take() []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items
	m.items = nil
	return items
}
