package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// orchestratorOptions are the orchestrator's options for this up.
func (opts *UpOptions) orchestratorOptions() orchestrator.Options {
	return orchestrator.Options{Version: opts.Factory.Build.Version, Pods: opts.Pods, LogLines: opts.LogLines}
}

// maxLogLines bounds --log-lines: the view keeps that many lines per container in memory.
const maxLogLines = 1_000_000

// parseLogLines reads --log-lines (SIDECAR_LOG_LINES, "log-lines:"): a number of lines,
// 1 to maxLogLines.
func parseLogLines(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > maxLogLines {
		return 0, fmt.Errorf("--log-lines takes a number of lines from 1 to %d, got %q", maxLogLines, s)
	}
	return n, nil
}
