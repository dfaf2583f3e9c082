package orchestrator

import (
	"fmt"
	"strings"
	"testing"
)

func TestLastLinesPerStream(t *testing.T) {
	out := func(n int) (ls []LogLine) {
		for i := 1; i <= n; i++ {
			ls = append(ls, LogLine{Stream: Stdout, Text: fmt.Sprintf("o%d", i)})
		}
		return ls
	}
	errs := func(n int) (ls []LogLine) {
		for i := 1; i <= n; i++ {
			ls = append(ls, LogLine{Stream: Stderr, Text: fmt.Sprintf("e%d", i)})
		}
		return ls
	}
	for _, tt := range []struct {
		name  string
		n     int
		lines []LogLine
		want  string
	}{
		{"the engine delivered stderr first", 4, append(errs(1), out(100)...), "o98 o99 o100 e1"},
		{"stdout only", 3, out(10), "o8 o9 o10"},
		{"stderr only", 3, errs(10), "e8 e9 e10"},
		{"stderr gets half, and more when stdout has less", 4, append(out(1), errs(10)...), "o1 e8 e9 e10"},
		{"both long: half each", 4, append(out(10), errs(10)...), "o9 o10 e9 e10"},
		{"one line: stderr's", 1, append(errs(1), out(5)...), "e1"},
		{"fewer than n", 20, append(out(2), errs(1)...), "o1 o2 e1"},
		{"escape sequences removed", 2, []LogLine{{Stream: Stderr, Text: "fatal \x1b]0;x\a\x1b[31mred\x1b[0m"}}, "fatal \x1b[31mred\x1b[0m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLastLines(tt.n)
			for _, line := range tt.lines {
				l.add(line)
			}
			if got := strings.Join(l.lines(), " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
