module github.com/sidecar-dev/sidecar

go 1.26.0

require (
	golang.org/x/sync v0.24.0
	k8s.io/utils v0.0.0-20261023123148-ca04ba58ecab
)
