module github.com/sidecar-dev/sidecar

go 1.26
