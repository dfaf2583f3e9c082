package control

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Subscription is the event stream of a stack run elsewhere, read over its control socket:
// what *orchestrator.Subscription is in the process that runs the stack (Next, TryNext,
// Close), so that a view reads either. It ends with io.EOF when the stack has ended, and
// with ErrLost when the connection went first.
//
// One goroutine reads the answer and hands batches over through a small channel: a view
// that reads slowly stops the reading, the socket's buffers fill, and the owner's
// subscription falls behind its ring buffers — the view is told how many lines it missed,
// as a local one is; the owner never waits for it.
type Subscription struct {
	cancel  context.CancelFunc
	batches chan []orchestrator.Event
	done    chan struct{}
	err     error // set before done is closed
	close   sync.Once
}

// maxBatch bounds the events of one batch.
const maxBatch = 5000

func newSubscription(ctx context.Context, cancel context.CancelFunc, body io.ReadCloser) *Subscription {
	s := &Subscription{cancel: cancel, batches: make(chan []orchestrator.Event, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer body.Close()
		s.err = s.read(ctx, body)
	}()
	return s
}

func (s *Subscription) read(ctx context.Context, body io.Reader) error {
	br := bufio.NewReaderSize(body, 256<<10)
	var batch []orchestrator.Event
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case s.batches <- batch:
			batch = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			ev, _, end, derr := decodeLine(line)
			if derr != nil {
				return derr
			}
			if end {
				if !send() {
					return ctx.Err()
				}
				return io.EOF
			}
			if ev != nil {
				batch = append(batch, ev)
			}
		}
		if err != nil {
			send()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return ErrLost
		}
		// Hand over what arrived together, as a local subscription returns what is queued.
		if br.Buffered() == 0 || len(batch) >= maxBatch {
			if !send() {
				return ctx.Err()
			}
		}
	}
}

// Next blocks until events are available and returns them in order; io.EOF once the stack
// has ended and everything was read, ErrLost when the connection went first, or ctx's error.
func (s *Subscription) Next(ctx context.Context) ([]orchestrator.Event, error) {
	select {
	case b := <-s.batches:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		select {
		case b := <-s.batches:
			return b, nil
		default:
		}
		return nil, s.err
	}
}

// TryNext returns what is available now, without blocking.
func (s *Subscription) TryNext() []orchestrator.Event {
	var out []orchestrator.Event
	for len(out) < maxBatch {
		select {
		case b := <-s.batches:
			out = append(out, b...)
		default:
			return out
		}
	}
	return out
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.close.Do(func() {
		s.cancel()
		<-s.done
	})
}

var _ orchestrator.LogFeed = (*Subscription)(nil)

// Controller is a stack run elsewhere as the TUI drives it: its Commands and SubscribeWith,
// over the control socket. The commands return once the owner has them; they are made from
// the view's own goroutines (tea.Cmd), never from its update loop.
type Controller struct {
	c   *Client
	ctx context.Context
}

// NewController drives the stack c talks to; ctx bounds its subscriptions.
func NewController(ctx context.Context, c *Client) *Controller { return &Controller{c: c, ctx: ctx} }

// commandTimeout bounds one command's round trip.
const commandTimeout = 10 * time.Second

// SubscribeWith opens the event stream with the options of a local subscription (what the
// view asks for: logs or not, and how many lines a batch holds). A failure to connect is the
// stream's error, from its first Next.
func (r *Controller) SubscribeWith(opts orchestrator.SubscribeOptions) *Subscription {
	eo := EventOptions{NoLogs: opts.NoLogs, NoState: opts.NoState, Follow: true, Tail: TailAll}
	if opts.Tail > 0 {
		eo.Tail = opts.Tail
	}
	if opts.NoHistory {
		eo.Tail = 0
	}
	for _, ref := range opts.Containers {
		eo.Containers = append(eo.Containers, ref.String())
	}
	sub, err := r.c.Events(r.ctx, eo)
	if err != nil {
		return failedSubscription(err)
	}
	return sub
}

func failedSubscription(err error) *Subscription {
	s := &Subscription{cancel: func() {}, batches: make(chan []orchestrator.Event), done: make(chan struct{}), err: err}
	close(s.done)
	return s
}

func (r *Controller) command(verb, pod, container string) error {
	ctx, cancel := context.WithTimeout(r.ctx, commandTimeout)
	defer cancel()
	return r.c.Command(ctx, verb, []string{pod + "/" + container}, nil)
}

// RestartContainer restarts one container at once.
func (r *Controller) RestartContainer(pod, container string) error {
	return r.command(VerbRestart, pod, container)
}

// StopContainer stops one container and keeps it stopped.
func (r *Controller) StopContainer(pod, container string) error {
	return r.command(VerbStop, pod, container)
}

// StartContainer starts a stopped container.
func (r *Controller) StartContainer(pod, container string) error {
	return r.command(VerbStart, pod, container)
}

// Shutdown, Interrupt and Kill ask for the stack's teardown; a failure to reach the owner
// is reported on the stream (which ends) rather than here.
func (r *Controller) Shutdown()  { r.teardown(r.c.ShutdownNow) }
func (r *Controller) Interrupt() { r.teardown(r.c.Interrupt) }
func (r *Controller) Kill()      { r.teardown(r.c.Kill) }

func (r *Controller) teardown(fn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), commandTimeout)
	defer cancel()
	_ = fn(ctx)
}
