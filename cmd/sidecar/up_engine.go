package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

// engine is what up, down and ps use of the container engine.
type engine interface {
	orchestrator.Runtime
	Close() error
}

// connectEngine connects to the engine the environment names (DOCKER_HOST, the Docker
// context, the local socket), as the docker CLI would. An unreachable engine is a
// *runtime.UnreachableError saying where sidecar looked and how to fix it.
func connectEngine(ctx context.Context, f *Factory) (engine, error) {
	env := envMap(f.Environ())
	return runtime.Connect(ctx, runtime.ConnectOptions{
		ToolVersion: f.Build.Version,
		Getenv:      func(k string) string { return env[k] },
	})
}

// getenv reads the Factory's environment.
func (f *Factory) getenv() func(string) string {
	env := envMap(f.Environ())
	return func(k string) string { return env[k] }
}

// subpathEngine is an engine that says whether it mounts the sub path of a volume.
type subpathEngine interface {
	APIVersion() string
	VolumeSubpaths() bool
}

// engineCanRun checks, before up creates anything or hands a running stack's owner the
// recipe to converge onto (up_converge.go), that the engine can do what the pods (all of
// them, or those named) ask of it: a sub path of a volume the engine mounts (one without
// files, which are copied in) needs API 1.45. Said after the pod is half-made, at the first
// container that mounts one, it would be a runtime failure in the middle of up — or of a
// converge, with the stack's old containers already removed. It is a runtime failure
// (exit 1) with how to fix it.
func engineCanRun(rt engine, st *recipes.Stack, pods []string) error {
	if err := subpathsOn(rt, st, pods); err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	return nil
}

func subpathsOn(rt engine, st *recipes.Stack, pods []string) error {
	e, ok := rt.(subpathEngine)
	if !ok || e.VolumeSubpaths() {
		return nil
	}
	var uses []string
	for _, p := range st.Pods {
		if len(pods) > 0 && !slices.Contains(pods, p.Name) {
			continue
		}
		for _, c := range p.Containers() {
			for _, m := range c.Volumes {
				if vol := p.Volume(m.Source); m.Type == recipes.MountVolume && m.SubPath != "" && (vol == nil || len(vol.Files) == 0) {
					uses = append(uses, fmt.Sprintf("%s/%s mounts volume %s from sub path %s", p.Name, c.Name, m.Source, m.SubPath))
				}
			}
		}
	}
	if len(uses) == 0 {
		return nil
	}
	return fmt.Errorf("the engine speaks API %s, and volume sub paths need API 1.45 (Docker Engine 26 or newer): %s; nothing was created: upgrade the engine, or mount the whole volume and point the program at the sub directory",
		e.APIVersion(), strings.Join(uses, ", "))
}
