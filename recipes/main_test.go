package recipes

import (
	"io"
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestMain silences compose-go's global logrus warnings, which the importer already reports
// as its own warnings (see cmd/sidecar/run.go).
func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}
