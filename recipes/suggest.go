package recipes

import (
	"slices"
	"strings"
)

// aliasTable maps names that users bring from docker compose or Kubernetes to the recipe's
// own field, so that an unknown key can say what to write instead.
func aliasTable() map[string]string {
	return map[string]string{
		"environment":                   "env",
		"working_dir":                   "workdir",
		"workingdir":                    "workdir",
		"working-dir":                   "workdir",
		"workingDir":                    "workdir",
		"healthcheck":                   "ready",
		"readinessProbe":                "ready",
		"readiness":                     "ready",
		"livenessProbe":                 "live",
		"liveness":                      "live",
		"args":                          "command",
		"initContainers":                "init",
		"inits":                         "init",
		"containers":                    "sidecars",
		"sidecar":                       "sidecars",
		"services":                      "pods",
		"stop_grace_period":             "stop_grace",
		"terminationGracePeriodSeconds": "stop_grace",
		"dependsOn":                     "depends_on",
		"env_files":                     "env_file",
		"envFile":                       "env_file",
		"restart_policy":                "restart",
		"restartPolicy":                 "restart",
		"volume":                        "volumes",
		"port":                          "ports",
	}
}

// suggest returns the candidate closest to word when it is close enough to be a likely typo
// (of the candidate, or of a known alias of it), else "".
func suggest(word string, candidates []string) string {
	aliases := aliasTable()
	if a, ok := aliases[word]; ok && slices.Contains(candidates, a) {
		return a
	}
	best, bestD, bestLen := "", -1, 0
	consider := func(name, target string) {
		d := editDistance(strings.ToLower(word), strings.ToLower(name))
		if bestD < 0 || d < bestD {
			best, bestD, bestLen = target, d, len(name)
		}
	}
	for _, c := range candidates {
		consider(c, c)
	}
	names := make([]string, 0, len(aliases))
	for alias := range aliases {
		names = append(names, alias)
	}
	slices.Sort(names)
	for _, alias := range names {
		if target := aliases[alias]; slices.Contains(candidates, target) && len(alias) > 4 {
			consider(alias, target)
		}
	}
	if best == "" {
		return ""
	}
	limit := max(2, len(word)/3)
	if bestD <= limit && bestD < len(word) && bestD < bestLen {
		return best
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
