package main

import (
	"context"

	"github.com/sidecar-dev/sidecar/orchestrator"
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
