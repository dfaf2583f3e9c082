package recipes

import (
	"slices"

	"github.com/sidecar-dev/sidecar/internal/suggest"
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

// didYouMean returns the candidate closest to word when it is close enough to be a likely typo
// (of the candidate, or of a known alias of it), else "".
func didYouMean(word string, candidates []string) string {
	aliases := aliasTable()
	if a, ok := aliases[word]; ok && slices.Contains(candidates, a) {
		return a
	}
	names := slices.Clone(candidates)
	target := make(map[string]string, len(aliases))
	for _, alias := range sortedKeys(aliases) {
		if to := aliases[alias]; slices.Contains(candidates, to) && len(alias) > 4 {
			names = append(names, alias)
			target[alias] = to
		}
	}
	best := suggest.Closest(word, names)
	if to, ok := target[best]; ok {
		return to
	}
	return best
}
