package recipes

import "fmt"

// loadKube imports a Kubernetes manifest. The importer is being written on its own branch;
// until it lands, a manifest is reported as not supported yet.
func loadKube(f File, opts Options, pos *Positions) (*Stack, []Warning, error) {
	return nil, nil, Problems{{
		Pos:     Position{File: f.Name},
		Message: "Kubernetes manifests are not supported yet: the Kubernetes importer is not built",
		Hint:    fmt.Sprintf("write a sidecar.yaml for now (see sidecar.yaml.example) instead of %s", f.Name),
	}}
}
