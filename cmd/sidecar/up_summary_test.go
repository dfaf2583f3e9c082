package main

import (
	"strings"
	"testing"
)

// The summary's values line up in one column, whatever the length of the pods' names.
func TestSummaryRowsAligned(t *testing.T) {
	var b strings.Builder
	writeSummaryRows(&b, [][2]string{
		{"pod prometheus", "prometheus running"},
		{"pod grafana", "grafana running"},
		{"ports", "grafana 3000"},
		{"log", "/tmp/x.log"},
	})
	want := "  pod prometheus prometheus running\n" +
		"  pod grafana    grafana running\n" +
		"  ports          grafana 3000\n" +
		"  log            /tmp/x.log\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
