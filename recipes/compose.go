package recipes

import "fmt"

// loadCompose imports a compose file. The importer is being written on its own branch; until
// it lands, a compose file is reported as not supported yet.
func loadCompose(f File, opts Options, pos *Positions) (*Stack, []Warning, error) {
	return nil, nil, Problems{{
		Pos:     Position{File: f.Name},
		Message: "compose files are not supported yet: the compose importer is not built",
		Hint:    fmt.Sprintf("write a sidecar.yaml for now (see sidecar.yaml.example) instead of %s", f.Name),
	}}
}
