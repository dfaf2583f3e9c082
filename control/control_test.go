package control

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The recipe `up` of a running stack sends travels as JSON: it must come back as it was
// loaded — the same model, the same config hashes — or an unchanged recipe would re-create
// containers. Every recipe of the corpora that loads is checked.
func TestApplyRequestRoundTrip(t *testing.T) {
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, g := range []string{"sidecar.yaml.example", "testdata/recipes/good/*.yaml", "testdata/compose/*.yaml",
		"testdata/kube/*.yaml", "testdata/realworld/*/*.yaml", "testdata/realworld/*/*.yml", "testdata/e2e/*/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		files = append(files, m...)
	}
	env := map[string]string{"SIDECAR_TEST_IMAGE": "img:1", "SIDECAR_TEST_STACK": "rt", "SIDECAR_TEST_PORT": "8099", "IMAGE": "img:1"}
	loaded := 0
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "bad") {
			continue
		}
		st, _, err := recipes.LoadFile(f, recipes.Options{Env: env, DotEnv: true})
		if err != nil {
			continue // a corpus of failures, or needs what this test does not give
		}
		loaded++
		b, err := json.Marshal(NewApplyRequest(st, []string{"x"}))
		if err != nil {
			t.Errorf("%s: marshal: %v", f, err)
			continue
		}
		var req ApplyRequest
		if err := json.Unmarshal(b, &req); err != nil {
			t.Errorf("%s: unmarshal: %v", f, err)
			continue
		}
		back, err := req.Unpack()
		if err != nil {
			t.Fatal(err)
		}
		st.Positions = nil // where the loader found each field: for messages, not sent
		if !reflect.DeepEqual(st, back) {
			t.Errorf("%s: the stack does not come back as it went", f)
		}
		for i, p := range st.Pods {
			a := (&orchestrator.PodSpec{Stack: st, Pod: p, InfraImage: "infra:1"}).Hashes()
			z := (&orchestrator.PodSpec{Stack: back, Pod: back.Pods[i], InfraImage: "infra:1"}).Hashes()
			if !reflect.DeepEqual(a, z) {
				t.Errorf("%s: pod %s: hashes %v, back %v", f, p.Name, a, z)
			}
		}
	}
	t.Logf("%d recipes", loaded)
	if loaded < 20 {
		t.Errorf("only %d recipes loaded", loaded)
	}
}
