package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Client talks to the owner of a stack over its control socket.
type Client struct {
	sock string
	http *http.Client
}

// NewClient returns a client of the socket at sock. It does not connect yet.
func NewClient(sock string) *Client {
	return &Client{sock: sock, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}}
}

// Socket is the socket's path.
func (c *Client) Socket() string { return c.sock }

func (c *Client) url(path string) string { return "http://sidecar" + API + path }

// do sends a request and returns the answer when its status is one of ok; otherwise the
// error the answer carries.
func (c *Client) do(ctx context.Context, what, method, path string, body any, ok ...int) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s (%s): %w", what, c.sock, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var res Result
	if json.Unmarshal(b, &res) == nil && res.Error != "" {
		return nil, res.Err()
	}
	msg := string(bytes.TrimSpace(b))
	if msg == "" {
		msg = resp.Status
	}
	return nil, fmt.Errorf("%s (%s): %s", what, c.sock, msg)
}

// State reads the live state.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	resp, err := c.do(ctx, "ask the running up for its state", http.MethodGet, "/state", nil, http.StatusOK)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("read the running up's state (%s): %w", c.sock, err)
	}
	return st, nil
}

// Shutdown asks the owner to tear the stack down and follows the teardown, passing each
// event to progress, until the stack is released. final is the stack's last event; nil when
// the owner went away in the middle.
func (c *Client) Shutdown(ctx context.Context, progress func(orchestrator.Event)) (final *orchestrator.StackEvent, err error) {
	resp, err := c.do(ctx, "ask the running up to shut down", http.MethodPost, "/shutdown", nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, err = ReadStream(resp.Body, func(ev orchestrator.Event) {
		if se, ok := ev.(orchestrator.StackEvent); ok && isFinal(se) {
			final = &se
		}
		if progress != nil {
			progress(ev)
		}
	})
	if err != nil {
		return final, fmt.Errorf("follow the shutdown of the running up (%s): %w", c.sock, err)
	}
	return final, nil
}

func isFinal(se orchestrator.StackEvent) bool {
	return se.Phase == orchestrator.PhaseDone || se.Phase == orchestrator.PhaseFailed
}

// post sends a request that answers at once.
func (c *Client) post(ctx context.Context, what, path string) error {
	resp, err := c.do(ctx, what, http.MethodPost, path, nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// ShutdownNow asks for a graceful teardown without following it.
func (c *Client) ShutdownNow(ctx context.Context) error {
	return c.post(ctx, "ask the running up to shut down", "/shutdown?follow=0")
}

// Interrupt asks for a graceful teardown as after Ctrl-C (the stack ends with 130).
func (c *Client) Interrupt(ctx context.Context) error {
	return c.post(ctx, "ask the running up to stop", "/interrupt")
}

// Kill asks the owner to remove everything at once.
func (c *Client) Kill(ctx context.Context) error {
	return c.post(ctx, "ask the running up to kill the stack", "/kill")
}

// Command restarts, stops or starts containers (VerbRestart, ...): names as on the command
// line, none for every app container. With progress, it waits until the command is done,
// passing the state events meanwhile; without, it returns once the pods have it.
func (c *Client) Command(ctx context.Context, verb string, names []string, progress func(orchestrator.Event)) error {
	req := CommandRequest{Containers: names, Wait: progress != nil}
	what := fmt.Sprintf("ask the running up to %s", verb)
	if progress == nil {
		return c.postJSON(ctx, what, "/containers/"+verb, req)
	}
	_, err := c.stream(ctx, what, "/containers/"+verb, req, progress)
	return err
}

func (c *Client) postJSON(ctx context.Context, what, path string, body any) error {
	resp, err := c.do(ctx, what, http.MethodPost, path, body, http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Apply converges the running stack onto req's recipe, passing the state events meanwhile
// to progress, and returns the changes made (none: it was up to date).
func (c *Client) Apply(ctx context.Context, req ApplyRequest, progress func(orchestrator.Event)) ([]string, error) {
	return c.stream(ctx, "ask the running up to apply the recipe", "/apply", req, progress)
}

// stream posts body and reads the streamed answer to its Result.
func (c *Client) stream(ctx context.Context, what, path string, body any, progress func(orchestrator.Event)) ([]string, error) {
	resp, err := c.do(ctx, what, http.MethodPost, path, body, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	res, err := ReadStream(resp.Body, func(ev orchestrator.Event) {
		if progress != nil {
			progress(ev)
		}
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", what, c.sock, err)
	}
	if res == nil {
		return nil, fmt.Errorf("%s (%s): %w", what, c.sock, ErrLost)
	}
	return res.Changes, res.Err()
}

// WatchOptions tune Watch.
type WatchOptions struct {
	// Persist has the stack watched for its whole life: Watch returns once it is.
	Persist bool
	// Events receives the stack's state events while it is watched (nil: none are sent).
	Events func(orchestrator.Event)
}

// Watch has the stack's files watched (by the process that runs it) until ctx ends (nil) or
// the stack does (nil; Events got its last event). Rules that cannot be watched are an
// *Error with Code 2.
func (c *Client) Watch(ctx context.Context, opts WatchOptions) error {
	what := "ask the running up to watch the stack's files"
	if opts.Persist {
		return c.post(ctx, what, "/watch?persist=1")
	}
	path := "/watch"
	if opts.Events == nil {
		path += "?events=0"
	}
	_, err := c.stream(ctx, what, path, nil, opts.Events)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// ErrLost: the owner of the stack went away in the middle of an answer.
var ErrLost = errors.New("the connection to the running up was lost (did it end?)")

// ReadStream reads a streamed answer (NDJSON lines), passing its events to each, until the
// end; it returns the Result line when there was one. The supervisor of `up -d` reports to
// the `up` that started it in the same form.
func ReadStream(r io.Reader, each func(orchestrator.Event)) (*Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var res *Result
	for sc.Scan() {
		ev, r, _, err := decodeLine(sc.Bytes())
		switch {
		case err != nil:
			return res, err
		case r != nil:
			res = r
		case ev != nil:
			each(ev)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
		return res, err
	}
	return res, nil
}

// EventOptions select what an event stream carries.
type EventOptions struct {
	NoLogs  bool // state events only
	NoState bool // log lines only (the snapshots still come)
	// Follow keeps the stream open for what comes; without it the stream ends after what
	// the owner has now (the snapshot and the buffers' lines).
	Follow bool
	// Tail starts each container's lines that many from the end (TailAll: every line the
	// buffer keeps; 0: none of them).
	Tail       int
	Containers []string // as on the command line; none: every container
}

// TailAll asks for every line the buffers keep.
const TailAll = -1

func (o EventOptions) query() string {
	q := url.Values{}
	if o.NoLogs {
		q.Set("logs", "0")
	}
	if o.NoState {
		q.Set("state", "0")
	}
	if !o.Follow {
		q.Set("follow", "0")
	}
	if o.Tail >= 0 {
		q.Set("tail", strconv.Itoa(o.Tail))
	}
	for _, c := range o.Containers {
		q.Add("container", c)
	}
	return q.Encode()
}

// Events opens the event stream: a snapshot first, then the buffers' history, then (Follow)
// live events. Names that are not the stack's are an *Error with Code 2.
func (c *Client) Events(ctx context.Context, opts EventOptions) (*Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.do(ctx, "read the running up's events", http.MethodGet, "/events?"+opts.query(), nil, http.StatusOK)
	if err != nil {
		cancel()
		return nil, err
	}
	return newSubscription(ctx, cancel, resp.Body), nil
}
