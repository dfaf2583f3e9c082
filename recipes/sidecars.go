package recipes

import (
	"fmt"
	"slices"
	"strings"
)

// What the importers know of the sidecars of the real world: which images and container
// names are network, proxy or agent sidecars (so that another container of the pod is main),
// and which annotations ask a cluster's injector to add one (which does not happen locally).
// docs/import.md lists both.

// knownSidecars are the repositories (without registry and tag; a trailing * matches any
// suffix) and container names of well-known sidecars.
var knownSidecars = struct{ images, names []string }{
	images: strings.Fields(`tailscale/tailscale qmcgaw/gluetun qdm12/gluetun cloudflare/cloudflared
		linuxserver/wireguard wg-easy/wg-easy envoyproxy/envoy* istio/proxyv2 istio/proxy*
		linkerd/proxy hashicorp/vault hashicorp/consul* cloudsql-docker/gce-proxy
		cloud-sql-connectors/cloud-sql-proxy dapr/daprd otel/opentelemetry-collector*
		open-telemetry/opentelemetry-collector* fluent/fluent-bit fluent/fluentd* brancz/kube-rbac-proxy
		kube-rbac-proxy oauth2-proxy/oauth2-proxy pusher/oauth2_proxy nginxinc/nginx-s3-gateway
		datadog/agent grafana/alloy grafana/promtail timberio/vector* jaegertracing/jaeger-agent`),
	names: strings.Fields(`istio-proxy istio-init linkerd-proxy linkerd-init daprd vault-agent
		vault-agent-init cloud-sql-proxy cloudsql-proxy otc-container envoy kube-rbac-proxy
		oauth2-proxy fluent-bit fluentd tailscale ts gluetun cloudflared wireguard`),
}

// isKnownSidecar reports whether a container of that name and image is a well-known sidecar.
func isKnownSidecar(name, image string) bool {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	parts := strings.Split(repo, "/")
	return slices.ContainsFunc(knownSidecars.images, func(pattern string) bool {
		n := min(strings.Count(pattern, "/")+1, len(parts)) // match the pattern against as many path parts as it has
		return starMatch(pattern, strings.Join(parts[len(parts)-n:], "/"))
	}) || slices.Contains(knownSidecars.names, name)
}

// starMatch reports whether s is pattern, or starts with pattern's text before a trailing *.
func starMatch(pattern, s string) bool {
	prefix, wild := strings.CutSuffix(pattern, "*")
	return s == prefix || wild && strings.HasPrefix(s, prefix)
}

// injector is a cluster component that adds a sidecar to the pods an annotation marks.
type injector struct {
	annotation string // the key; a trailing * matches any suffix
	what       string // what it would add
	recipe     string // the catalog recipe that gives the same sidecar
	// injected are the container names (or prefixes, ending in *) and annotation keys that
	// show that a pod was injected already.
	injected []string
}

var injectors = []injector{
	{"sidecar.istio.io/inject", "Istio's istio-proxy (Envoy)", "envoy-proxy", []string{"istio-proxy", "sidecar.istio.io/status"}},
	{"linkerd.io/inject", "Linkerd's linkerd-proxy", "envoy-mesh", []string{"linkerd-proxy", "linkerd.io/proxy-version"}},
	{"dapr.io/enabled", "Dapr's daprd", "dapr", []string{"daprd"}},
	{"vault.hashicorp.com/agent-inject", "the Vault Agent", "vault-agent", []string{"vault-agent", "vault-agent-init", "vault.hashicorp.com/agent-inject-status"}},
	{"instrumentation.opentelemetry.io/inject-*", "OpenTelemetry's auto-instrumentation agent", "otel-collector", []string{"opentelemetry-auto-instrumentation*"}},
	{"sidecar.opentelemetry.io/inject", "an OpenTelemetry Collector (otc-container)", "otel-collector", []string{"otc-container"}},
}

// injectionWarnings says, for each annotation that asks an injector for a sidecar the pod
// does not have, that the pod runs without it. containers are the pod's container names.
func injectionWarnings(annotations map[string]string, containers []string) (keys, msgs []string) {
	has := func(marker string) bool {
		if _, ok := annotations[marker]; ok {
			return true
		}
		return slices.ContainsFunc(containers, func(c string) bool { return starMatch(marker, c) })
	}
	for _, in := range injectors {
		for _, key := range sortedKeys(annotations) {
			v := strings.ToLower(annotations[key])
			if !starMatch(in.annotation, key) || v == "false" || v == "disabled" || v == "" {
				continue
			}
			if !slices.ContainsFunc(in.injected, has) {
				keys = append(keys, key)
				msgs = append(msgs, fmt.Sprintf("in a cluster, %s would be injected into this pod; there is no injector locally, so the pod runs without it: add the sidecar to the file, e.g. from the catalog recipe %s (sidecar init --recipe %s)", in.what, in.recipe, in.recipe))
			}
			break
		}
	}
	return keys, msgs
}
