package orchestrator

import (
	"strings"
	"testing"

	testingclock "k8s.io/utils/clock/testing"
)

func names(evs []Event) string {
	var out []string
	for _, e := range evs {
		switch e := e.(type) {
		case SnapshotEvent:
			out = append(out, "snapshot")
		case MessageEvent:
			out = append(out, e.Text)
		case LogEvent:
			out = append(out, e.Text)
		}
	}
	return strings.Join(out, " ")
}

// State events and log lines come out in one order, also when log lines are cut into
// batches; the snapshot always comes first; the end is reported once everything was read.
func TestSubscriptionOrder(t *testing.T) {
	s := newStream(testingclock.NewFakeClock(t0), StackView{Name: "x"}, 100)
	buf := s.logs.Buffer("p", "c")
	buf.Append(LogLine{Text: "l0"}) // before subscribing: history, after the snapshot
	sub := s.subscribe(SubscribeOptions{MaxLogLines: 2})
	s.publish(MessageEvent{Text: "e1"})
	buf.Append(LogLine{Text: "l1"})
	buf.Append(LogLine{Text: "l2"})
	s.publish(MessageEvent{Text: "e2"})
	buf.Append(LogLine{Text: "l3"})
	var got []string
	for i := 0; i < 4; i++ {
		if evs, _ := sub.take(); len(evs) > 0 {
			got = append(got, names(evs))
		}
	}
	if g := strings.Join(got, " | "); g != "snapshot l0 e1 l1 | l2 e2 l3" {
		t.Errorf("batches %q", g)
	}
	s.close()
	if evs, ended := sub.take(); len(evs) != 0 || !ended {
		t.Errorf("after close: %v ended=%v", names(evs), ended)
	}
	s.publish(MessageEvent{Text: "late"}) // dropped once closed
	if evs, _ := sub.take(); len(evs) != 0 {
		t.Errorf("event after close: %s", names(evs))
	}
}
