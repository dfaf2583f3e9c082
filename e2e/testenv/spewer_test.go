package testenv

import (
	"slices"
	"testing"
)

func TestSpewerLine(t *testing.T) {
	for _, tc := range []struct {
		i, size int
		want    string
	}{
		{7, 0, "line 000007"},
		{123456, 5, "line 123456"},
		{3, 16, "line 000003 bcde"},
		{1, 40, "line 000001 bcdefghijklmnopqrstuvwxyzabc"},
	} {
		if got := SpewerLine(tc.i, tc.size); got != tc.want {
			t.Errorf("SpewerLine(%d, %d) = %q, want %q", tc.i, tc.size, got, tc.want)
		}
	}
}

func TestInterleave(t *testing.T) {
	got := Interleave([]string{"1", "2", "4", "5", "7"}, []string{"3", "6", "x", "y"}, 3)
	if want := []string{"1", "2", "3", "4", "5", "6", "7", "x", "y"}; !slices.Equal(got, want) {
		t.Errorf("Interleave = %q, want %q", got, want)
	}
}
