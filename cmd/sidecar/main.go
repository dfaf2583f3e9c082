// Command sidecar runs Kubernetes-style sidecar pods on a plain Docker Engine.
package main

import "os"

func main() { os.Exit(run()) }
