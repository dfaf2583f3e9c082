// Package suggest finds the likely intended word among candidates, for "did you mean"
// hints in error messages.
package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the candidate nearest to word by edit distance (ignoring case) when it is
// close enough to be a likely typo of it — at most max(2, len(word)/3) edits, and fewer than
// the lengths of both — else "". Ties go to the candidate listed first.
func Closest(word string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(word)/3) || bestD >= len(word) || bestD >= len(best) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes. Inputs longer
// than a few hundred bytes are compared only by their length difference, which keeps the cost
// bounded on hostile input.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		if len(a) > len(b) {
			return len(a)
		}
		return len(b)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// DidYouMean is the hint `did you mean "candidate"?` for the candidate Closest finds, or ""
// when none is close. Every "did you mean" in sidecar's messages quotes the suggestion.
func DidYouMean(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}
