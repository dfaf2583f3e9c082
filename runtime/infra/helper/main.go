// Command sidecar-infra is the program inside sidecar's infra image. It has two jobs:
//
//   - With no arguments (or "pause") it is the pod's PID 1: it holds the pod's namespaces,
//     reaps orphaned processes (with share_pid it is PID 1 of the whole pod), and exits 0 at
//     once on SIGTERM or SIGINT.
//   - "probe tcp HOST:PORT TIMEOUT" and "probe http URL TIMEOUT [Name: value ...]" make one
//     probe attempt from inside the pod's network namespace (run with docker exec in the infra
//     container). Exit status 0 means the probe passed; otherwise one line on stdout says why.
//
// It is kept small on purpose (it is embedded, compressed, in every sidecar binary): standard
// library only, no fmt, no net/http, no crypto/tls. See docs/infra-image.md.
package main

import (
	"os"
)

const usage = `usage:
  sidecar-infra [pause]
      hold the pod's namespaces as PID 1; reap orphans; exit 0 on SIGTERM or SIGINT
  sidecar-infra probe tcp HOST:PORT TIMEOUT
      pass when a TCP connection to HOST:PORT opens within TIMEOUT (e.g. 1s)
  sidecar-infra probe http URL TIMEOUT [Name: value ...]
      pass when GET URL answers with status 200-399 within TIMEOUT; https URLs pass when
      the port completes a TLS handshake (the status is not checked: no TLS in this helper)
exit status: 0 passed, 1 failed (one line on stdout says why), 2 usage error
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || (len(args) == 1 && args[0] == "pause") {
		return pause()
	}
	switch args[0] {
	case "probe":
		return probe(args[1:])
	case "-h", "-help", "--help", "help":
		os.Stdout.WriteString(usage)
		return 0
	}
	return usageError("unknown command " + quote(args[0]))
}

func usageError(msg string) int {
	os.Stderr.WriteString("sidecar-infra: " + msg + " (sidecar-infra -h shows the usage)\n")
	return 2
}

// say writes one line to stdout: the probe's reason, read by sidecar from the exec output.
func say(msg string) {
	os.Stdout.WriteString(msg + "\n")
}

// quote returns s in double quotes with control characters escaped, for messages.
func quote(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
