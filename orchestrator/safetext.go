package orchestrator

import (
	"slices"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// Events carry terminal-safe text. Log lines are made safe as they enter a buffer (with their
// colours: see logbuffer.go); every other event's free text — reasons, messages, hints, image
// references, progress and error texts — is made plain text when it is published, because it
// can quote the engine (its error messages, names and labels of objects sidecar did not make),
// an image's build output, a probe's or an exec's output. So no view, whether it is a
// terminal, a file or a client of the control socket, has to remember to sanitise it.

// plainEvent returns ev with the free text of its fields made plain text (plainText).
func plainEvent(ev Event) Event {
	p := plainText
	list := func(names []string) []string {
		names = slices.Clone(names)
		for i := range names {
			names[i] = p(names[i])
		}
		return names
	}
	switch e := ev.(type) {
	case StackEvent:
		e.Stack, e.Reason, e.Left = p(e.Stack), p(e.Reason), list(e.Left)
		return e
	case EngineStateEvent:
		e.Error = p(e.Error)
		return e
	case PodEvent:
		e.Pod, e.Reason = p(e.Pod), p(e.Reason)
		return e
	case ContainerEvent:
		e.ContainerView = plainContainer(e.ContainerView)
		return e
	case HookEvent:
		e.Pod, e.Container, e.Action, e.Error = p(e.Pod), p(e.Container), p(e.Action), p(e.Error)
		return e
	case ProbeEvent:
		e.Pod, e.Container = p(e.Pod), p(e.Container)
		return e
	case ImageEvent:
		e.Ref, e.Step, e.Message, e.Error = p(e.Ref), p(e.Step), p(e.Message), p(e.Error)
		return e
	case LeftoversEvent:
		e.Containers, e.Networks, e.Volumes = list(e.Containers), list(e.Networks), list(e.Volumes)
		return e
	case MessageEvent:
		e.Pod, e.Container, e.Text, e.Hint = p(e.Pod), p(e.Container), p(e.Text), p(e.Hint)
		return e
	case WatchEvent:
		// Paths are the host's file names, which anyone who can write there chose.
		e.Pod, e.Container, e.Paths, e.Image, e.ID, e.Error = p(e.Pod), p(e.Container), list(e.Paths), p(e.Image), p(e.ID), p(e.Error)
		rules := slices.Clone(e.Rules)
		for i := range rules {
			rules[i].Path, rules[i].Target, rules[i].Ignore = p(rules[i].Path), p(rules[i].Target), list(rules[i].Ignore)
		}
		e.Rules = rules
		return e
	}
	return ev
}

// plainText is s without escape sequences and controls; its newlines are kept.
func plainText(s string) string { return termsafe.Lines(s, termsafe.Text) }

func plainContainer(c ContainerView) ContainerView {
	p := plainText
	c.Pod, c.Name, c.Image, c.ID, c.Reason = p(c.Pod), p(c.Name), p(c.Image), p(c.ID), p(c.Reason)
	return c
}
