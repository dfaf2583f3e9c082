package orchestrator_test

import (
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// matched is MatchContainers of n as pod/container refs, space separated.
func matched(cs []orchestrator.NamedContainer, n string) string {
	var out []string
	for _, c := range orchestrator.MatchContainers(cs, n) {
		out = append(out, c.Ref().String())
	}
	return strings.Join(out, " ")
}

// A compose service that joins another's namespace (network_mode: service:web) is a
// container of that pod named as a DNS label (web_envoy → web/web-envoy): its compose name
// names it, when nothing is named so as written. A name as written wins over its DNS-label
// form, and one several pods' containers have is several matches.
func TestMatchContainersByDNSLabel(t *testing.T) {
	cs := []orchestrator.NamedContainer{
		{Pod: "web", Name: "web", Role: recipes.RoleMain},
		{Pod: "web", Name: "web-envoy", Role: recipes.RoleSidecar},
		{Pod: "admin", PodAliases: []string{"db_admin"}, Name: "admin", Role: recipes.RoleMain},
		{Pod: "other", Name: "db-admin", Role: recipes.RoleMain},
		{Pod: "a", Name: "a", Role: recipes.RoleMain},
		{Pod: "a", Name: "log-shipper", Role: recipes.RoleSidecar},
		{Pod: "b", Name: "b", Role: recipes.RoleMain},
		{Pod: "b", Name: "log-shipper", Role: recipes.RoleSidecar},
	}
	for _, tc := range []struct{ name, want string }{
		{"web_envoy", "web/web-envoy"},
		{"web-envoy", "web/web-envoy"},
		{"Web.Envoy", "web/web-envoy"},
		{"__web__envoy__", "web/web-envoy"},
		{"web/web_envoy", "web/web-envoy"},
		{"WEB/web_envoy", "web/web-envoy"},
		{"db_admin", "admin/admin"}, // the alias as written, before other's db-admin
		{"db-admin", "other/db-admin"},
		{"log_shipper", "a/log-shipper b/log-shipper"},
		{"a/log_shipper", "a/log-shipper"},
		{"web_envoy2", ""},
		{"other/web_envoy", ""},
		{"___", ""},
	} {
		if got := matched(cs, tc.name); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// MatchContainers reads a compose service's name as recipes names its container, whatever
// the name holds (case, dots, runs of _, more than 63 characters).
func TestMatchContainersAsRecipesNamesServices(t *testing.T) {
	long := "Envoy_" + strings.Repeat("x", 60) + "_tail"
	st := loadCompose(t, "mcn", `services:
  web: {image: app:1}
  Web.Envoy__V2: {image: app:1, network_mode: "service:web"}
  `+long+`: {image: app:1, network_mode: "service:web"}
  ts: {image: app:1}
  app: {image: app:1, network_mode: "service:ts"}
`)
	var cs []orchestrator.NamedContainer
	for _, p := range st.Pods {
		for _, c := range p.Containers() {
			cs = append(cs, orchestrator.NamedContainer{Pod: p.Name, PodAliases: st.PodAliases(p), Name: c.Name, Role: c.Role})
		}
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Ref().String())
	}
	for _, tc := range []struct{ name, want string }{
		{"Web.Envoy__V2", "web/web-envoy-v2"},
		{long, "web/" + strings.Trim(strings.ToLower(long)[:63], "_")},
		{"app", "ts/app"},
	} {
		want := strings.ReplaceAll(tc.want, "_", "-")
		if got := matched(cs, tc.name); got != want {
			t.Errorf("%s: %q, want %q (the stack has %s)", tc.name, got, want, strings.Join(names, ", "))
		}
	}
}
