module github.com/sidecar-dev/sidecar

go 1.26

require (
	github.com/compose-spec/compose-go/v2 v2.16.2
	github.com/distribution/reference v0.6.0
	github.com/mattn/go-shellwords v1.0.16
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/google/go-cmp v0.6.0 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/sirupsen/logrus v1.10.1 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
