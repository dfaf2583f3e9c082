package suggest

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"imgae", []string{"name", "image"}, "image"},
		{"IMAGE", []string{"image"}, "image"}, // case is ignored
		{"backnd", []string{"frontend", "backend"}, "backend"},
		{"xyz", []string{"image", "name"}, ""}, // too far
		{"a", []string{"b"}, ""},               // as many edits as letters
		{"ab", []string{"cd", "ab"}, "ab"},     // exact match wins
		{"cat", []string{"bat", "cut"}, "bat"}, // ties: first listed
		{"web", nil, ""},                       // nothing to choose from
		{"envoy-proxi", []string{"envoy-proxy"}, "envoy-proxy"},
		// inputs over 256 bytes are not compared: the cost stays bounded on hostile input
		{strings.Repeat("a", 300), []string{strings.Repeat("a", 299)}, ""},
	} {
		if got := Closest(tc.word, tc.candidates); got != tc.want {
			t.Errorf("Closest(%.20q, %.40q) = %.20q, want %.20q", tc.word, tc.candidates, got, tc.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	if got, want := DidYouMean("imgae", []string{"name", "image"}), `did you mean "image"?`; got != want {
		t.Errorf("DidYouMean = %q, want %q", got, want)
	}
	if got := DidYouMean("xyz", []string{"image"}); got != "" {
		t.Errorf("DidYouMean with nothing close = %q, want empty", got)
	}
}
