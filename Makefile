# sidecar: build, test and run the demo. `make help` lists the targets.

GO       ?= go
BIN      := bin/sidecar
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME ?= 5m
# The demo programs run in containers: build them for Linux on the engine's CPU.
ENGINE_ARCH ?= $(shell docker version --format '{{.Server.Arch}}' 2>/dev/null || $(GO) env GOARCH)

.PHONY: help build test testimages demo bench lint fuzz clean

help:
	@echo "make build       build $(BIN)"
	@echo "make test        run every test (unit and end-to-end; the latter need a Docker Engine)"
	@echo "make testimages  compile the demo/test programs in testdata/images/*/ into testdata/images/bin/"
	@echo "make demo        testimages + build + $(BIN) up -f sidecar.yaml.example"
	@echo "make bench       run the benchmarks (COMPOSE_V2=path adds compose v2 to the pod cycle)"
	@echo "make lint        gofmt check and go vet"
	@echo "make fuzz        fuzz the recipe loader, both importers, the terminal sanitisers and what ps/logs/down print of the engine, FUZZTIME each (default 5m)"
	@echo "make clean       remove build outputs"

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sidecar

test:
	$(GO) test ./...

# Every directory under testdata/images with Go files is one static program; the image
# (testdata/images/Dockerfile, FROM scratch) copies testdata/images/bin/ to /.
testimages:
	@mkdir -p testdata/images/bin
	@for dir in testdata/images/*/; do \
		name=$$(basename "$$dir"); \
		[ "$$name" = bin ] && continue; \
		ls "$$dir"*.go >/dev/null 2>&1 || continue; \
		echo "build testdata/images/bin/$$name (linux/$(ENGINE_ARCH))"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(ENGINE_ARCH) $(GO) build -trimpath -ldflags='-s -w' \
			-o "testdata/images/bin/$$name" "./$$dir" || exit 1; \
	done

demo: testimages build
	$(BIN) up -f sidecar.yaml.example

# The pod cycle against a raw-API floor and docker compose (bench/podcycle), up -d of a running
# stack unchanged and after an edit against compose (bench/converge), save → served with
# up --watch against compose's (bench/watch), and the sidecar process
# under a log storm in its TUI in tmux (bench/tuistorm); results and method in
# docs/benchmarks.md. COMPOSE_V2=/path/to/docker-compose adds compose v2 (or v5) to them.
COMPOSE_V2 ?=
bench: testimages
	$(GO) test -run '^$$' -bench . ./...
	$(GO) run ./bench/podcycle $(if $(COMPOSE_V2),-compose-v2 $(COMPOSE_V2))
	$(GO) run ./bench/converge $(if $(COMPOSE_V2),-compose-v2 $(COMPOSE_V2))
	$(GO) run ./bench/watch $(if $(COMPOSE_V2),-compose-v2 $(COMPOSE_V2))
	$(GO) run ./bench/tuistorm

lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# One fuzz target at a time (go test -fuzz takes one), each for FUZZTIME: package:target.
FUZZ_TARGETS := ./recipes/:FuzzLoad ./recipes/:FuzzImportCompose ./recipes/:FuzzImportKube \
	./internal/termsafe/:FuzzSanitize ./tui/:FuzzSanitize ./cmd/sidecar/:FuzzEngineStrings

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; target=$${t##*:}; \
		echo "fuzz $$target in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	done

clean:
	rm -rf bin testdata/images/bin
