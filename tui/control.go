package tui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Control: what the user's keys ask of the orchestrator (restart, stop, start a container;
// shut down, interrupt or kill the stack) and of the terminal (a shell), and what comes
// back.

// cmdDoneMsg is the outcome of a command sent to the orchestrator.
type cmdDoneMsg struct {
	what string // "restart web"
	err  error
}

// shellDoneMsg is the outcome of a shell session, or of the check before it (probe).
type shellDoneMsg struct {
	ctr    string
	err    error
	stderr string
	probe  bool
}

// quit stops the stack gracefully, or at once when it is already stopping.
func (m *model) quit() tea.Cmd {
	return m.stopOrKill("shut down", func() { m.ctl.Shutdown() })
}

// interrupt is Ctrl-C, SIGINT or SIGTERM: a graceful stop with exit 130, or at once when
// already stopping.
func (m *model) interrupt() tea.Cmd {
	if m.keys.attached() && m.stop == stopNone {
		return m.detach()
	}
	if m.ended {
		m.quitting = true
		return tea.Quit
	}
	return m.stopOrKill("interrupt", func() { m.ctl.Interrupt() })
}

// stopOrKill sends the graceful stop (what) when nothing is stopping yet, a kill when the
// stack is stopping already; a kill again once forced ends the run without waiting for an
// engine that does not answer (what is left is named as it ends).
func (m *model) stopOrKill(what string, graceful func()) tea.Cmd {
	switch m.stop {
	case stopNone:
		m.stop = stopGraceful
		return send(what, func() error { graceful(); return nil })
	case stopGraceful:
		m.stop = stopForced
	default:
		m.stop = stopGivenUp
	}
	return send("kill", func() error { m.ctl.Kill(); return nil })
}

func send(what string, fn func() error) tea.Cmd {
	return func() tea.Msg { return cmdDoneMsg{what: what, err: fn()} }
}

// command sends restart, stop or start for a pane's container.
func (m *model) command(verb string, p *pane) tea.Cmd {
	if m.stop != stopNone || m.ended {
		m.setNotice(kindWarn, "the stack is stopping: containers take no commands")
		return nil
	}
	if c := m.container(p.pod, p.name); c != nil && c.Role == recipes.RoleInit {
		m.setNotice(kindWarn, fmt.Sprintf("%s is an init container: it runs once, before the sidecars", p.name))
		return nil
	}
	pod, name, ctl := p.pod, p.name, m.ctl
	fn := map[string]func(string, string) error{
		"restart": ctl.RestartContainer, "stop": ctl.StopContainer, "start": ctl.StartContainer,
	}[verb]
	m.setNotice(kindInfo, fmt.Sprintf("%s %s…", verb, name))
	m.pending = &pendingCmd{pod: pod, ctr: name, verb: verb, gen: m.noticeGen}
	return send(verb+" "+name, func() error { return fn(pod, name) })
}

// How long a command's result stays in the footer, and how long at most its "restart web…"
// stays beyond the container's stop grace when the container never shows the result (a
// start that fails, a stop of a container that had exited).
const (
	resultNotice   = 3 * time.Second
	pendingTimeout = 10 * time.Second
)

// cmdDone handles the orchestrator's answer to a command: an error replaces the notice; a
// container command taken keeps its notice until the container shows the result
// (commandProgress), for at most its stop grace and pendingTimeout.
func (m *model) cmdDone(msg cmdDoneMsg) tea.Cmd {
	p := m.pending
	mine := p != nil && msg.what == p.verb+" "+p.ctr
	if msg.err != nil {
		if mine {
			m.pending = nil
		}
		m.setNotice(kindError, fmt.Sprintf("%s: %v", msg.what, msg.err))
		return nil
	}
	if !mine {
		return nil
	}
	wait := pendingTimeout
	if c := m.container(p.pod, p.ctr); c != nil {
		wait += c.StopGrace.D()
	}
	return expireNotice(wait, p.gen)
}

// commandProgress ends the pending command when its container shows the result: a restart
// or start when the container has started again, a stop when it has stopped. The footer
// says so briefly, unless another notice came meanwhile.
func (m *model) commandProgress(c orchestrator.ContainerView, started bool) {
	p := m.pending
	if p == nil || p.pod != c.Pod || p.ctr != c.Name {
		return
	}
	var done string
	switch {
	case p.verb == "restart" && started:
		done = "restarted"
	case p.verb == "start" && started:
		done = "started"
	case p.verb == "stop" && c.State == orchestrator.CStateStopped:
		done = "stopped"
	default:
		return
	}
	m.pending = nil
	if m.notice != "" && m.noticeGen != p.gen {
		return
	}
	m.setNotice(kindInfo, done+" "+p.ctr)
	m.later = append(m.later, expireNotice(resultNotice, m.noticeGen))
}

func (m *model) shell(p *pane) tea.Cmd {
	c := m.container(p.pod, p.name)
	if c == nil || c.ID == "" || c.State != orchestrator.CStateRunning {
		m.setNotice(kindWarn, fmt.Sprintf("%s is not running: a shell needs a running container", p.name))
		return nil
	}
	return shellCmd(m.opts.Docker, m.opts.Shell, c.ID, p.name)
}

func (m *model) shellDone(msg shellDoneMsg) {
	if msg.err == nil {
		m.setNotice(kindInfo, "back from the shell in "+msg.ctr)
		return
	}
	m.setNotice(kindError, shellError(m.opts.Docker, m.opts.Shell, msg))
}
