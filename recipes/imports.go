package recipes

// importResult is what an importer gives back. The stack comes with the problems when the
// importer could still make every pod of the file: Load then normalises and validates it as
// well, so that the problems only validation finds are reported in the same pass. bad holds
// the position keys of what the importer left out because it was wrong (and reported), so
// that validation says nothing more about it.
type importResult struct {
	stack    *Stack
	warnings []Warning
	problems Problems
	bad      map[string]bool
	// interp is the interpolation of the file's variables, when it had any: no message
	// shows a value it substituted.
	interp *interpolation
}

// strict returns a stack or problems, never both: what the importer's own tests check.
func (r importResult) strict() (*Stack, []Warning, error) {
	if err := r.problems.Err(); err != nil {
		return nil, r.warnings, err
	}
	return r.stack, r.warnings, nil
}
