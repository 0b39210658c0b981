# tach — make targets. The README's Quick start uses `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/tach
DEMO_DB ?= tach-demo.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all build demo test lint vet fmt-check unit clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tach

# Write the demo organisation and serve it on $(LISTEN).
demo: build
	./$(BIN) demo --db $(DEMO_DB) --listen $(LISTEN)

# Everything CI checks: formatting, vet, and the whole test suite with the
# race detector.
test: lint unit

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

clean:
	rm -rf bin $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
