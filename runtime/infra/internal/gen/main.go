// Command gen regenerates the infra helper artifacts: go generate ./runtime/infra/...
package main

import (
	"fmt"
	"os"

	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/runtime/infra/internal/infrabuild"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate infra helper:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := modroot.Find()
	if err != nil {
		return err
	}
	m, err := infrabuild.Generate(root)
	if err != nil {
		return err
	}
	for _, a := range m.Artifacts {
		fmt.Printf("%s: %d bytes, %d gzipped, sha256 %s (%s)\n", a.File, a.BinarySize, a.GzipSize, a.BinarySHA256, m.GoVersion)
	}
	return nil
}
