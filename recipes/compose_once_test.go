package recipes

import (
	"slices"
	"strings"
	"testing"
)

// A network several services join is warned about once, naming them all.
func TestComposeNetworkWarningNamesEveryService(t *testing.T) {
	_, ws := mustComposeLoad(t, `services:
  a: {image: a:1, networks: [front]}
  b: {image: a:1, networks: [front]}
  c: {image: a:1, networks: [front, back]}
networks: {front: {}, back: {}}
`, nil)
	got := warningStrings(ws)
	const note = "all pods share one stack network and reach each other by pod name; "
	for _, want := range []string{
		"c.yaml:2:30: warning: services.a.networks.front: " + note + "network front is not created (services b and c too)",
		"c.yaml:4:37: warning: services.c.networks.back: " + note + "network back is not created",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if n := strings.Count(strings.Join(got, "\n"), "network front is not created"); n != 1 {
		t.Errorf("network front warned about %d times:\n%s", n, strings.Join(got, "\n"))
	}
}

// A missing bind source a service shares through volumes_from is warned about once, at the
// source's own mount.
func TestComposeVolumesFromMissingBindWarnedOnce(t *testing.T) {
	_, ws := mustComposeLoad(t, `services:
  a: {image: a:1, volumes: ["./missing:/data"]}
  b: {image: a:1, volumes_from: [a]}
`, nil)
	got := warningStrings(ws)
	var missing []string
	for _, w := range got {
		if strings.Contains(w, "bind mount source ./missing does not exist") {
			missing = append(missing, w)
		}
	}
	if len(missing) != 1 || !strings.HasPrefix(missing[0], "c.yaml:2:29: ") {
		t.Errorf("want one warning about ./missing, at c.yaml:2:29, got:\n%s", strings.Join(got, "\n"))
	}
}

// A key misspelled in an anchor that several services merge is one problem, at the anchor,
// naming the services.
func TestComposeUnknownKeyOfAnchorReportedOnce(t *testing.T) {
	_, _, err := composeLoad(t, `x-common: &common
  restrat: always
services:
  c: {image: a:1, <<: *common}
  a: {image: a:1, <<: *common}
  b:
    image: a:1
    <<: *common
`, nil)
	got := problemStrings(t, err)
	want := []string{`c.yaml:2:3: unknown key "restrat" in services.a, services.b and services.c: did you mean "restart"?`}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A one-letter volume in the short syntax, a:/data, is a Windows drive path to compose-go
// (an anonymous volume at a:/data, or a bind of a:/data to what follows), which the engine
// on Linux refuses: a problem saying so, never a bind mount of a:/data.
func TestComposeOneLetterVolumeIsNoDrive(t *testing.T) {
	for _, spec := range []string{"a:/data", "a:/data:ro", "a:/data:/data"} {
		_, _, err := composeLoad(t, "services:\n  s: {image: a:1, volumes: [\""+spec+"\"]}\nvolumes: {a: {}}\n", nil)
		got := problemStrings(t, err)
		want := `c.yaml:2:29: services.s.volumes[0]: compose reads "` + spec + `" as a path on Windows drive a (a:/data), not as volume a at /data, and the engine on Linux refuses that path: ` +
			`for volume a write the long syntax, {type: volume, source: a, target: /data}, or give the volume a longer name`
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s: problems\n%s\nwant\n%s", spec, strings.Join(got, "\n"), want)
		}
	}
	st, _ := mustComposeLoad(t, "services:\n  s: {image: a:1, volumes: [{type: volume, source: a, target: /data}]}\nvolumes: {a: {}}\n", nil)
	if m := st.Pods[0].Main.Volumes; len(m) != 1 || m[0].Type != MountVolume || m[0].Target != "/data" {
		t.Errorf("the long syntax: mounts %+v, want volume a at /data", m)
	}
}
