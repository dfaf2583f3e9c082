package main

import (
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// --log-lines is a setting like every flag, validated, and reaches the orchestrator's buffers
// and the interactive view's columns.
func TestUpLogLines(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      string // SIDECAR_LOG_LINES
		settings string // the settings file
		want     int
		err      string
	}{
		{name: "default", args: []string{"up"}, want: orchestrator.DefaultLogLines},
		{name: "flag", args: []string{"up", "--log-lines", "500"}, want: 500},
		{name: "environment", args: []string{"up"}, env: "2000", want: 2000},
		{name: "settings file", args: []string{"up"}, settings: "up:\n  log-lines: 3000\n", want: 3000},
		{name: "the flag wins", args: []string{"up", "--log-lines", "40"}, env: "2000", want: 40},
		{name: "zero", args: []string{"up", "--log-lines", "0"}, err: `--log-lines takes a number of lines from 1 to 1000000, got "0"`},
		{name: "negative", args: []string{"up", "--log-lines=-5"}, err: `got "-5"`},
		{name: "too many", args: []string{"up", "--log-lines", "5000000"}, err: `got "5000000"`},
		{name: "not a number", args: []string{"up", "--log-lines", "lots"}, err: `invalid argument "lots" for "--log-lines"`},
		{name: "environment not a number", args: []string{"up"}, env: "many", err: `--log-lines takes a number of lines from 1 to 1000000, got "many"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t)
			if tt.env != "" {
				t.Setenv("SIDECAR_LOG_LINES", tt.env)
			}
			if tt.settings != "" {
				writeFile(t, f.ConfigFile(), tt.settings)
			}
			got, code := parsed(t, f, newUpCmd, tt.args...)
			if tt.err != "" {
				if code != exitBadInput || !strings.Contains(errOut.String(), tt.err) {
					t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.err)
				}
				return
			}
			if code != 0 || got == nil {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if got.LogLines != tt.want {
				t.Errorf("LogLines %d, want %d", got.LogLines, tt.want)
			}
			if n := got.orchestratorOptions().LogLines; n != tt.want {
				t.Errorf("the orchestrator keeps %d lines, want %d", n, tt.want)
			}
			if n := got.newTUIView(nil).opts.LogLines; n != tt.want {
				t.Errorf("the view keeps %d lines, want %d", n, tt.want)
			}
		})
	}
}
