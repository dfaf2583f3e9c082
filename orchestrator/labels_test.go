package orchestrator_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The labels as the engine stores them: the keys and the value formats are a contract with
// the engine objects earlier versions created, and with `docker ps --filter label=…`.
func TestLabelsWireFormat(t *testing.T) {
	l := orchestrator.Labels{Stack: "shop", Pod: "web", Container: "envoy", Role: recipes.RoleSidecar, ConfigHash: "0123abcd",
		Version: "v1.2.3", Recipe: "/home/dev/shop/sidecar.yaml", Order: 0, HasOrder: true, StopGrace: 1500 * time.Millisecond,
		DependsOn: []string{"db", "cache"}, Job: true, InfraHelper: "f00d", InfraVolumeDirs: 64}
	want := map[string]string{
		"dev.sidecar.stack": "shop", "dev.sidecar.pod": "web", "dev.sidecar.container": "envoy", "dev.sidecar.role": "sidecar",
		"dev.sidecar.config-hash": "0123abcd", "dev.sidecar.version": "v1.2.3", "dev.sidecar.recipe": "/home/dev/shop/sidecar.yaml",
		"dev.sidecar.order": "0", "dev.sidecar.stop-grace": "1.5s", "dev.sidecar.depends-on": "db,cache", "dev.sidecar.job": "true",
		"dev.sidecar.infra-helper": "f00d", "dev.sidecar.infra-volume-dirs": "64",
	}
	got := l.Encode()
	if !maps.Equal(got, want) {
		t.Errorf("Encode:\n got %v\nwant %v", got, want)
	}
	back, err := orchestrator.DecodeLabels(got)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back.Encode(), want) {
		t.Errorf("Decode(Encode) = %+v", back)
	}
	if m := (orchestrator.Labels{Stack: "shop"}).Encode(); !maps.Equal(m, map[string]string{"dev.sidecar.stack": "shop"}) {
		t.Errorf("zero fields are not written: %v", m)
	}
	if f := orchestrator.StackFilter(""); !maps.Equal(f, map[string]string{"dev.sidecar.stack": ""}) {
		t.Errorf("every stack: %v", f)
	}
	if !orchestrator.IsLabelKey("dev.sidecar.anything") || orchestrator.IsLabelKey("dev.sidecar-test.owner") || orchestrator.IsLabelKey("com.docker.compose.project") {
		t.Error("IsLabelKey")
	}
	// Absent labels are no error: a container made before the order label existed.
	if l, err := orchestrator.DecodeLabels(map[string]string{"dev.sidecar.stack": "s", "other": "\x1b[2J"}); err != nil || l.HasOrder || l.Stack != "s" {
		t.Errorf("decode without order: %+v, %v", l, err)
	}
}

// Label values come from the engine, where anyone can set them: a value sidecar would not
// have written is left out and reported, quoted, so that no control character gets through.
func TestDecodeLabelsRejectsHostileValues(t *testing.T) {
	hostile := map[string]string{
		"dev.sidecar.stack":      "x\x1b]0;TITLE\a",
		"dev.sidecar.pod":        "Web",
		"dev.sidecar.container":  "\x1b]52;c;aGFja2Vk\a",
		"dev.sidecar.role":       "boss",
		"dev.sidecar.version":    "v1\x1b[2J",
		"dev.sidecar.recipe":     "/x/\u202eevil.yaml",
		"dev.sidecar.order":      "-1",
		"dev.sidecar.stop-grace": "soon",
		"dev.sidecar.depends-on": "db,\x1b[H",
		"dev.sidecar.job":        "yes",
	}
	l, err := orchestrator.DecodeLabels(hostile)
	if err == nil {
		t.Fatal("no error")
	}
	if l.Stack != "" || l.Pod != "" || l.Container != "" || l.Role != recipes.RoleUnknown || l.Version != "" || l.Recipe != "" ||
		l.HasOrder || l.StopGrace != 0 || l.DependsOn != nil || l.Job {
		t.Errorf("bad values kept: %+v", l)
	}
	if !errors.Is(err, orchestrator.ErrBadLabel) {
		t.Errorf("%v is not ErrBadLabel", err)
	}
	msg := err.Error()
	for k := range hostile {
		if !strings.Contains(msg, k) {
			t.Errorf("error does not name %s: %s", k, msg)
		}
	}
	if strings.ContainsAny(msg, "\x1b\a\u202e") {
		t.Errorf("error carries control characters raw: %q", msg)
	}
	if !strings.Contains(msg, `label dev.sidecar.stack is "x\x1b]0;TITLE\a", not a DNS label`) {
		t.Errorf("error: %s", msg)
	}
}

func TestCheckStackName(t *testing.T) {
	for _, ok := range []string{"demo", "a", "shop-2", strings.Repeat("a", 63)} {
		if err := orchestrator.CheckStackName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Demo", "-x", "x-", "a_b", strings.Repeat("a", 64), "x\x1b]0;TITLE\a", "x\u202e"} {
		err := orchestrator.CheckStackName(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\a\u202e") {
			t.Errorf("%q: message carries control characters raw: %q", bad, err)
		}
	}
}
