package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// publishedPorts returns, per pod, the host ports the stack's infra containers publish, as
// the engine bound them: "127.0.0.1:8081->8080/tcp".
func publishedPorts(ctx context.Context, rt orchestrator.Containers, stack string) (map[string][]string, error) {
	infos, err := rt.ListContainers(ctx, orchestrator.Labels{Stack: stack, Role: recipes.RoleInfra}.Encode())
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, info := range infos {
		l, err := orchestrator.DecodeLabels(info.Labels)
		if err != nil {
			continue // not one sidecar made
		}
		pod := l.Pod
		seen := map[string]bool{}
		for _, p := range info.Ports {
			s := fmtPort(p)
			if !seen[s] { // the engine lists IPv4 and IPv6 bindings of one port alike
				seen[s] = true
				out[pod] = append(out[pod], s)
			}
		}
		sort.Strings(out[pod])
	}
	return out, nil
}

// fmtPort writes a bound port as docker ps does: host_ip:host_port->container_port/proto.
func fmtPort(p recipes.Port) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Protocol)
}
