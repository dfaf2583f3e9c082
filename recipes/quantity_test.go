package recipes

import "testing"

func TestParseMilliCPU(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want MilliCPU
		text string
	}{
		{"500m", 500, "500m"}, {"2", 2000, "2"}, {"0.5", 500, "500m"}, {"1.25", 1250, "1250m"},
		{"0.0001", 1, "1m"}, {" 100m ", 100, "100m"},
	} {
		got, err := ParseMilliCPU(tc.in)
		if err != nil || got != tc.want || got.String() != tc.text {
			t.Errorf("ParseMilliCPU(%q) = %v (%q), %v; want %v (%q)", tc.in, int64(got), got, err, int64(tc.want), tc.text)
		}
	}
	for _, bad := range []string{"", "m", "-1", "1.5x", "abc", "NaN", "Inf"} {
		if _, err := ParseMilliCPU(bad); err == nil {
			t.Errorf("ParseMilliCPU(%q): no error", bad)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		text string
	}{
		{"64Mi", 64 << 20, "64Mi"}, {"1Gi", 1 << 30, "1Gi"}, {"512m", 512 << 20, "512Mi"},
		{"512mb", 512 << 20, "512Mi"}, {"1g", 1 << 30, "1Gi"}, {"1G", 1e9, "1000000000"},
		{"128974848", 128974848, "123Mi"}, {"1e3", 1000, "1000"}, {"100k", 100000, "100000"},
		{"4096", 4096, "4Ki"}, {"10b", 10, "10"}, {"1.5Gi", 3 << 29, "1536Mi"},
	} {
		got, err := ParseByteSize(tc.in)
		if err != nil || got != tc.want || got.String() != tc.text {
			t.Errorf("ParseByteSize(%q) = %d (%q), %v; want %d (%q)", tc.in, int64(got), got, err, int64(tc.want), tc.text)
		}
	}
	for _, bad := range []string{"", "Mi", "-1Mi", "x", "1Zi", "NaN"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q): no error", bad)
		}
	}
}

func TestEnumsOfVolumesAndWatch(t *testing.T) {
	var m VolumeMedium
	if err := m.UnmarshalText([]byte("Memory")); err != nil || m != MediumMemory {
		t.Fatalf("medium Memory: %v %v", m, err)
	}
	if err := m.UnmarshalText([]byte("disk")); err == nil {
		t.Fatal("medium disk: no error")
	}
	var a WatchAction
	for _, name := range []string{"rebuild", "sync", "sync+restart", "restart"} {
		if err := a.UnmarshalText([]byte(name)); err != nil || a.String() != name {
			t.Errorf("watch action %q: %v %v", name, a, err)
		}
	}
	if err := a.UnmarshalText([]byte("sync+exec")); err == nil {
		t.Error("watch action sync+exec: no error")
	}
}
