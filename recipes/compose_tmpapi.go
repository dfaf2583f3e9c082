package recipes

// TEMPORARY: File and Options belong to the loader on the `recipes` branch (load.go). They are
// declared here only so the importers build before that branch is merged; this file is deleted
// by the merge commit.

// File is an input file: its name (for messages) and its content.
type File struct {
	Name    string
	Content []byte
}

// Options tune loading.
type Options struct {
	Env      map[string]string
	DotEnv   bool
	Dir      string
	ReadFile func(string) ([]byte, error)
	Name     string
}
