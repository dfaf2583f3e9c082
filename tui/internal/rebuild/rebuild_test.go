package rebuild

import (
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

func TestOwners(t *testing.T) {
	o := Owners[string]{}
	build := func(ref, msg string) orchestrator.ImageEvent {
		return orchestrator.ImageEvent{Ref: ref, Action: orchestrator.ImageBuild, Message: msg}
	}
	if _, _, ok := o.Image(build("shop/web:dev", "Step 1/2 : FROM scratch")); ok {
		t.Fatal("an image no watch rebuilds has an owner")
	}
	o.Watch(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilding, Image: "shop/web:dev"}, "web")
	o.Watch(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilding, Image: "shop/api:dev"}, "api")
	if owner, step, ok := o.Image(build("shop/web:dev", "Step 1/2 : FROM scratch")); !ok || owner != "web" || step != "Step 1/2 : FROM scratch" {
		t.Errorf("a step of web's rebuild: %q %q %v", owner, step, ok)
	}
	if owner, step, ok := o.Image(build("shop/web:dev", "sending context")); !ok || owner != "web" || step != "" {
		t.Errorf("a message of web's rebuild that is no step: %q %q %v", owner, step, ok)
	}
	o.Watch(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed}, "web")
	if _, _, ok := o.Image(build("shop/web:dev", "Step 1/2 : FROM scratch")); ok {
		t.Error("web's rebuild has an owner after it failed")
	}
	if owner, _, ok := o.Image(build("shop/api:dev", "Step 1/2 : FROM scratch")); !ok || owner != "api" {
		t.Errorf("api's rebuild lost its owner when web's ended: %q %v", owner, ok)
	}
}
