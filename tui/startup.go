package tui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The start-up panel: image pulls and builds with progress, and each pod's way through its
// phases.

var buildStep = regexp.MustCompile(`(?i)step (\d+)/(\d+)`)

// startupLines show image pulls and builds with progress, and each pod's way through its
// phases, while the stack starts (and while a pod is recreated).
func (m *model) startupLines(w int) []string {
	if !m.snapshot || !m.starting() {
		return nil
	}
	st := m.st
	var out []string
	for _, im := range m.images {
		if im.action == orchestrator.ImagePresent || (im.action == orchestrator.ImageInfra && im.err == "") {
			continue
		}
		verb := map[orchestrator.ImageAction]string{orchestrator.ImageBuild: "build", orchestrator.ImagePull: "pull",
			orchestrator.ImageInfra: "infra image"}[im.action]
		head := fmt.Sprintf("  %s %s ", verb, im.ref)
		switch {
		case im.err != "":
			out = append(out, st.bad.Render("  ✗ "+verb+" "+im.ref+": "+im.err))
			continue
		case im.done:
			out = append(out, st.good.Render("  ✓")+" "+verb+" "+im.ref)
			continue
		}
		frac, known := im.progress()
		barW := min(30, w-ansi.StringWidth(head)-20)
		line := head
		if known && barW >= 10 {
			bar := progress.New(progress.WithWidth(barW), progress.WithColors(colBlue), progress.WithFillCharacters('█', '░'))
			line += bar.ViewAs(frac) + " "
		}
		msg := im.message
		if im.step != "" && !buildStep.MatchString(msg) {
			msg = "step " + im.step + ": " + msg
		}
		line += st.dim.Render(msg)
		out = append(out, line)
	}
	for _, p := range m.view.Pods {
		out = append(out, m.podSteps(&p))
	}
	return out
}

// progress is how far an image is, when the events tell.
func (im *imageState) progress() (float64, bool) {
	var cur, total int64
	for _, s := range im.steps {
		cur += s[0]
		total += s[1]
	}
	if total > 0 {
		return min(1, float64(cur)/float64(total)), true
	}
	if mm := buildStep.FindStringSubmatch("Step " + im.step); mm != nil {
		i, _ := strconv.Atoi(mm[1])
		n, _ := strconv.Atoi(mm[2])
		if n > 0 {
			return float64(i-1) / float64(n), true
		}
	}
	return 0, false
}

// podSteps is one pod's line of start-up steps: images › infra › init › sidecars › main.
func (m *model) podSteps(p *orchestrator.PodView) string {
	st := m.st
	var init, sidecars []orchestrator.ContainerView
	for _, c := range p.Containers {
		switch c.Role {
		case recipes.RoleInit:
			init = append(init, c)
		case recipes.RoleSidecar:
			sidecars = append(sidecars, c)
		}
	}
	type step struct {
		name   string
		state  int // 0 pending, 1 active, 2 done, 3 failed
		detail string
	}
	reached := m.reached[p.Name]
	failed := p.Phase == orchestrator.PhaseFailed || m.view.Phase == orchestrator.PhaseFailed
	imagesFailed := false
	for _, im := range m.images {
		imagesFailed = imagesFailed || im.err != ""
	}
	steps := []step{{name: "images"}}
	switch {
	case imagesFailed:
		steps[0].state = 3
	case m.pulled:
		steps[0].state = 2
	case m.view.Phase == orchestrator.PhasePulling:
		steps[0].state = 1
	}
	phaseStep := func(name string, ph orchestrator.Phase, detail string) step {
		s := step{name: name, detail: detail}
		switch {
		case reached == ph:
			s.state = 1
		case reached > ph && reached <= orchestrator.PhaseRunning:
			s.state = 2
		}
		return s
	}
	steps = append(steps, phaseStep("infra", orchestrator.PhaseCreating, ""))
	if p.Phase == orchestrator.PhaseRecreating {
		steps[len(steps)-1].detail = "(recreating the pod)"
	}
	if len(init) > 0 {
		steps = append(steps, phaseStep("init", orchestrator.PhaseInit, firstNot(init, func(c orchestrator.ContainerView) bool {
			return c.State == orchestrator.CStateExited && !exitFailed(c)
		})))
	}
	if len(sidecars) > 0 {
		steps = append(steps, phaseStep("sidecars", orchestrator.PhaseSidecars, firstNot(sidecars, func(c orchestrator.ContainerView) bool {
			return c.State == orchestrator.CStateRunning && c.Health != orchestrator.HealthUnknown && c.Health != orchestrator.HealthNotReady
		})))
	}
	steps = append(steps, phaseStep("main", orchestrator.PhaseStartingMain, ""))
	if reached == orchestrator.PhaseRunning {
		steps[len(steps)-1].state = 2
	}
	if failed {
		// The step that was under way failed.
		marked := false
		for i := range steps {
			if steps[i].state == 3 {
				marked = true
			}
		}
		for i := len(steps) - 1; i >= 0 && !marked; i-- {
			if steps[i].state == 1 || (i > 0 && steps[i].state == 0 && steps[i-1].state == 2) {
				steps[i].state, marked = 3, true
			}
		}
	}
	var parts []string
	for _, s := range steps {
		text := s.name
		if s.detail != "" && s.state == 1 {
			text += " " + s.detail
		}
		switch s.state {
		case 0:
			parts = append(parts, st.dim.Render("○ "+text))
		case 1:
			parts = append(parts, st.info.Render("◌")+" "+st.bold.Render(text))
		case 2:
			parts = append(parts, st.good.Render("✓")+" "+text)
		case 3:
			parts = append(parts, st.bad.Render("✗ "+text))
		}
	}
	return "  " + st.bold.Render(p.Name) + "  " + strings.Join(parts, st.dim.Render(" › "))
}

func firstNot(cs []orchestrator.ContainerView, ok func(orchestrator.ContainerView) bool) string {
	for _, c := range cs {
		if !ok(c) {
			return c.Name
		}
	}
	return ""
}
