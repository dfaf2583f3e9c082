package recipes

import (
	"bytes"
	"errors"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// A .env compose's parser rejects is placed by sidecar's own reading of its lines, never by
// the parser's message: a reworded message places it the same; one sidecar does not find
// is at the file, with the message as it is.
func TestDotEnvProblemReadsLinesNotMessage(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"A=1\nthis is not valid\n", ".env:2:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"# c\nexport BAD KEY=1\n", ".env:2:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"A=\"x\ny\"\nB/C=1\n", `.env:3:1: this line is not NAME=value: a variable's name cannot hold the character "/": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A B/C=1\n", `.env:1:1: this line is not NAME=value: a variable's name cannot hold the character "/": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A=1\r\nK\"=1\r\n", `.env:2:1: this line is not NAME=value: a variable's name cannot hold the character "\"": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A=1\nB='x\nC=2\n", `.env:2:3: the quoted value is not closed: end it with the quote it starts with (write \" for a " inside double quotes)`},
	} {
		lines := envLines([]byte(tc.env))
		err := dotenv.ParseWithFormat(bytes.NewReader([]byte(tc.env)), ".env", map[string]string{}, nil, "")
		if err == nil {
			t.Errorf("%q: compose-go takes it", tc.env)
			continue
		}
		for _, e := range []error{err, errors.New("a message worded some other way")} {
			if got := dotEnvProblem(".env", lines, e, nil).String(); got != tc.want {
				t.Errorf("%q (%v):\n%s\nwant:\n%s", tc.env, e, got, tc.want)
			}
		}
	}
	got := dotEnvProblem(".env", envLines([]byte("A=1\n")), errors.New("line 1: something new"), nil).String()
	if want := ".env: .env is not a valid env file: line 1: something new: write one NAME=value per line; # starts a comment"; got != want {
		t.Errorf("unplaced:\n%s\nwant:\n%s", got, want)
	}
}
