package recipes

import "github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

// importResult is what an importer gives back. The stack comes with the problems when the
// importer could still make every pod of the file: Load then normalises and validates it as
// well, so that the problems only validation finds are reported in the same pass. bad holds
// the position keys of what the importer left out because it was wrong (and reported), so
// that validation says nothing more about it.
type importResult struct {
	stack *Stack
	report
	bad map[string]bool
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

// report collects the problems and warnings about one input file.
type report struct {
	file     string
	problems Problems
	warnings []Warning
}

func (r *report) problem(pos Position, msg, hint string) {
	r.problems = append(r.problems, Problem{Pos: pos, Message: msg, Hint: hint})
}

// issue records a problem the YAML front end found and worded.
func (r *report) issue(is yamlpos.Issue) { r.problems = append(r.problems, issueProblem(r.file, is)) }

// warn records a warning about field (a path in the input); the message reads "field: msg".
func (r *report) warn(pos Position, field, msg string) {
	r.warnings = append(r.warnings, Warning{Pos: pos, Field: field, Message: field + ": " + msg})
}

// issueProblem is an issue of the YAML front end as a problem of file.
func issueProblem(file string, is yamlpos.Issue) Problem {
	return Problem{Pos: Position{File: file, Line: is.Line, Col: is.Col}, Message: is.Message, Hint: is.Hint}
}
