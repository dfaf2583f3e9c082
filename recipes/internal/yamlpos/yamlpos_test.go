package yamlpos

import (
	"fmt"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func parse(t *testing.T, content string) (*File, []Issue) {
	t.Helper()
	f, issues, fatal := Parse([]byte(content))
	if fatal {
		t.Fatalf("fatal: %v", issues)
	}
	return f, issues
}

func TestAliasesAreSharedAndMergesExpanded(t *testing.T) {
	f, issues := parse(t, `
base: &b {image: app, env: {A: "1"}}
one:
  <<: *b
  image: other
two: *b
`)
	if len(issues) != 0 {
		t.Fatalf("issues: %v", issues)
	}
	root := f.Docs[0]
	if Value(root, "two") != Value(root, "base") {
		t.Error("an alias must be the node it names, not a copy")
	}
	one := Value(root, "one")
	if v, _ := Scalar(Value(one, "image")); v != "other" {
		t.Errorf("the mapping's own key wins over the merged one: image = %q", v)
	}
	if Value(one, "env") != Value(Value(root, "base"), "env") {
		t.Error("a merged value must be the anchor's node, placed where it is written")
	}
	if k, _ := Lookup(one, "<<"); k != nil {
		t.Error("the merge key itself stays in the tree")
	}
}

func TestStructureIssues(t *testing.T) {
	f, issues := parse(t, "a: 1\nb: &m {c: [*m]}\na: 2\nd: {<<: 5}\n")
	var got []string
	for _, is := range issues {
		got = append(got, fmt.Sprintf("%d:%d %s", is.Line, is.Col, is.Message))
	}
	want := []string{
		"2:12 alias *m refers to the value that contains it",
		`3:1 key "a" is written twice in the top level (first on line 1)`,
		"4:9 a merge key (<<) can only bring in mappings, found the number 5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v, _ := Scalar(Value(f.Docs[0], "a")); v != "1" {
		t.Errorf("the first of a key written twice is kept, got a = %q", v)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		content, at, msg, hint string
	}{
		{"main:\n\timage: x\n", "2:1", "a tab character is used for indentation", "replace the tab"},
		{"main:\n  ports: [\"80\"\nsidecars: []\n", "2:10", "did not find expected ',' or ']'", "the list opened here with [ is not closed"},
		{"main:\n  command: echo a: b\n", "2:18", `a value contains ": "`, "quote the value"},
		{"main: *nope\n", "1:7", "unknown anchor", "define the anchor"},
		{"main: \"unclosed\n", "1:7", "found unexpected end of stream", "the quote opened here is not closed"},
		// The parser places these at the file's start: the place is the byte's.
		{"name: x\nmain:\n  env:\n    C: \"x\x01y\"\n", "4:10", "control character (U+0001)", `"\x01"`},
		{"name: x\nmain:\n  env:\n    C: caf\xe9\n", "4:11", "byte 0xE9", "save the file as UTF-8"},
		{"name: \"\u00e9t\u00e9\"\nmain:\n  env: {C: \"x\x7fy\"}\n", "3:14", "control character (U+007F)", "escape"},
	} {
		_, issues, fatal := Parse([]byte(tc.content))
		if !fatal || len(issues) != 1 {
			t.Errorf("%q: want one fatal issue, got %v", tc.content, issues)
			continue
		}
		is := issues[0]
		if at := fmt.Sprintf("%d:%d", is.Line, is.Col); at != tc.at || !strings.HasPrefix(is.Message, "YAML syntax error: ") ||
			!strings.Contains(is.Message, tc.msg) || !strings.Contains(is.Hint, tc.hint) {
			t.Errorf("%q: got %s %s: %s, want %s %q %q", tc.content, at, is.Message, is.Hint, tc.at, tc.msg, tc.hint)
		}
	}
}

func TestLargeDocumentIsRejectedForItsSize(t *testing.T) {
	var b strings.Builder
	for i := range MaxNodes {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, issues, fatal := Parse([]byte(b.String()))
	if !fatal || len(issues) != 1 || !strings.Contains(issues[0].Message, "more than 200000 YAML nodes (keys, values and list items)") {
		t.Fatalf("want one issue about the size, got %v", issues)
	}
}

func TestAliasBombIsCaughtFast(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 40; i++ { // 10^40 nodes when expanded
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	_, issues, fatal := Parse([]byte(b.String()))
	if !fatal || len(issues) != 1 || !strings.Contains(issues[0].Message, "aliases expand the file to more than") {
		t.Fatalf("want one issue about the aliases, got %v", issues)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d) // a bound against hangs, not a timing assertion
	}
}

func TestFindAndWalk(t *testing.T) {
	f, _ := parse(t, `
services:
  web:
    labels: {com.example.tier: front}
    depends_on: [db, cache]
    configs:
      - source: a
      - source: b
        mode: 0440
`)
	root := f.Docs[0]
	if n := Find(root, "services", "web", "labels", "com", "example", "tier"); n == nil || n.Value != "com.example.tier" {
		t.Errorf("a key with dots is found whole: %v", n)
	}
	if n := Find(root, "services", "web", "depends_on", "cache"); n == nil || n.Line != 5 || n.Column != 22 {
		t.Errorf("an item of a list of names is found by its name: %+v", n)
	}
	if n := Find(root, "services", "web", "configs", "[]", "mode"); n == nil || n.Line != 9 {
		t.Errorf(`"[]" is the first item that has the rest of the path: %+v`, n)
	}
	if n := Near(root, "services", "web", "nope", "deeper"); n == nil || n.Value != "web" {
		t.Errorf("Near falls back to the nearest ancestor: %+v", n)
	}
	if v, ok := Walk(root, "services", "web", "configs", "1", "source"); !ok || v.Value != "b" {
		t.Errorf("Walk by index: %v %v", v, ok)
	}
}

func TestPrune(t *testing.T) {
	f, _ := parse(t, "a: &x [1, 2, 3]\nb: *x\nc: {d: 1}\n")
	root := f.Docs[0]
	two := Value(root, "a").Content[1]
	drop := map[*yaml.Node]bool{two: true, Find(root, "c"): true}
	p := Prune(root, drop, nil, true)
	if got := len(Value(p, "b").Content); got != 3 || !IsNull(Value(p, "b").Content[1]) {
		t.Errorf("a dropped item is nulled in every place the alias puts it: %d", got)
	}
	if Value(p, "c") != nil {
		t.Error("a dropped key takes its pair with it")
	}
	if len(Value(root, "a").Content) != 3 || !strings.Contains(Value(root, "a").Content[1].Value, "2") {
		t.Error("the tree pruned must not change")
	}
}

func TestWording(t *testing.T) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "8080", Line: 3, Column: 9}
	if is := Expect(n, "ports", "a list", ""); is.Message != "ports must be a list, found the number 8080" || is.Hint == "" {
		t.Errorf("Expect: %+v", is)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: "imgae"}
	if is := UnknownKey(k, "main", "image", "valid keys are name, image", ""); is.Hint != `did you mean "image"? (valid keys are name, image)` {
		t.Errorf("UnknownKey: %+v", is)
	}
	if is := UnknownKey(k, "main", "", "", "remove it"); is.Message != `unknown key "imgae" in main` || is.Hint != "remove it" {
		t.Errorf("UnknownKey: %+v", is)
	}
}
