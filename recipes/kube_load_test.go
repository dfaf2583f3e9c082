package recipes

// loadKube imports a Kubernetes manifest: a stack, or the problems.
func loadKube(f File, opts Options, pos *Positions) (*Stack, []Warning, error) {
	in, fatal := parseInput(f)
	if fatal != nil {
		return nil, nil, fatal.Err()
	}
	return importKube(in, opts, pos).strict()
}
