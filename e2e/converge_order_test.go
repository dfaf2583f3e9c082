package e2e

import (
	"regexp"
	"testing"
)

// up -d of a running stack that re-creates two pods that depend on each other, on the real
// engine (the tester's repro): web, which waits for db to be healthy, is stopped before db
// is, and starts again only once the new db is ready — as docker compose's up -d, and
// sidecar's own first up, order them.
func TestConvergeRecreatesDependentPodsInOrder(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "recreate-order")
	ports := func() { s.setFreePorts("RO_DB_PORT", "RO_WEB_PORT") }
	file := s.recipe("compose.yaml")
	ports()
	s.runExit(0, "up", "-d", "-f", file)

	ports() // both ports change: both pods are re-created
	out, errOut := s.runExit(0, "up", "-d", "-f", file)
	all := out + errOut
	at := func(re string) int {
		t.Helper()
		loc := regexp.MustCompile(`(?m)^` + re).FindStringIndex(all)
		if loc == nil {
			t.Fatalf("the converging up -d does not say %s:\n%s", re, all)
		}
		return loc[0]
	}
	if web, db := at(`web/infra\s+\* stopped`), at(`db/db\s+\* stopping`); web > db {
		t.Errorf("db was stopped before web, which depends on it, had stopped:\n%s", all)
	}
	if ready, web := at(`db/db\s+\* ready`), at(`web/infra\s+\* started`); ready > web {
		t.Errorf("web was started again before db, which it waits for to be healthy, was ready:\n%s", all)
	}
	t.Logf("converging up -d:\n%s", all)
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}
