package recipes

import "strings"

// aliasFor maps names that users bring from docker compose or Kubernetes to the recipe's own
// field, so that an unknown key can say what to write instead.
func aliasFor(word string) string {
	switch word {
	case "environment":
		return "env"
	case "working_dir", "workingdir", "working-dir", "workingDir":
		return "workdir"
	case "healthcheck", "readinessProbe", "readiness":
		return "ready"
	case "livenessProbe", "liveness":
		return "live"
	case "args":
		return "command"
	case "initContainers", "inits":
		return "init"
	case "containers", "sidecar":
		return "sidecars"
	case "services":
		return "pods"
	case "stop_grace_period", "terminationGracePeriodSeconds":
		return "stop_grace"
	case "dependsOn":
		return "depends_on"
	case "env_files", "envFile":
		return "env_file"
	case "restart_policy", "restartPolicy":
		return "restart"
	case "volume":
		return "volumes"
	case "port":
		return "ports"
	}
	return ""
}

// suggest returns the candidate closest to word when it is close enough to be a likely typo
// (or a known alias), else "".
func suggest(word string, candidates []string) string {
	if a := aliasFor(word); a != "" {
		for _, c := range candidates {
			if c == a {
				return c
			}
		}
	}
	best, bestD := "", -1
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	limit := 2
	if l := len(word) / 3; l > limit {
		limit = l
	}
	if bestD <= limit && bestD < len(word) && bestD < len(best) {
		return best
	}
	return ""
}

// didYouMean formats a suggestion as a hint fragment: ` (did you mean "x"?)`, or "".
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return `did you mean "` + s + `"?`
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, counted in bytes. Inputs longer
// than a few hundred bytes are compared only by their length difference, which keeps the cost
// bounded on hostile input.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		if len(a) > len(b) {
			return len(a)
		}
		return len(b)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
