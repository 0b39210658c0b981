# tach — make targets. The README's Quick start uses `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/tach
DEMO_DB ?= tach-demo.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all build demo test lint vet fmt-check unit race unit-postgres assets templ templ-check browser screenshots bench bench-web bench-sync reliability fuzz bench-scale plans-postgres deploy-check clean

all: build

# ECharts comes from the npm registry at a pinned, sha256-checked version and
# is embedded by go build; without it (offline), pages show tables instead.
build:
	@./web/tools/fetch-echarts.sh || echo "make: building without charts (pages show tables); run make assets when online"
	$(GO) build -o $(BIN) ./cmd/tach

# Write the demo organisation and serve it on $(LISTEN).
demo: build
	./$(BIN) demo --db $(DEMO_DB) --listen $(LISTEN)

# Everything CI checks: formatting, vet, stale templ output, the whole test
# suite (the browser tests in headless Chromium included), the suite again
# with the race detector (-short: without the whole-demo recomputations,
# which have no concurrency and take minutes under it, nor the browser),
# and the tests of everything that reads or writes the store again on
# PostgreSQL.
test: lint templ-check unit race unit-postgres

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	@./web/tools/fetch-echarts.sh || true
	$(GO) test -count=1 ./...

race:
	$(GO) test -race -short -count=1 ./...

# The packages whose tests open a store (through store/storetest), on
# PostgreSQL: a throwaway cluster on a free port (.ci/postgres.sh), or the
# database TACH_TEST_POSTGRES names. Without the race detector (make race
# has run them with it on SQLite). Skipped with a message when PostgreSQL
# is not installed, unless TACH_REQUIRE_POSTGRES=1 (CI).
PG_PACKAGES ?= ./store/... ./metrics/... ./collectors/... ./web/ ./cmd/tach/...
unit-postgres:
	@./.ci/postgres.sh run $(GO) test -count=1 $(PG_PACKAGES); rc=$$?; \
	if [ $$rc = 3 ] && [ -z "$$TACH_REQUIRE_POSTGRES" ]; then \
		echo "make: PostgreSQL is not installed: skipped the tests on PostgreSQL (apt install postgresql, then make unit-postgres)"; \
	else exit $$rc; fi

# The Dockerfile's build line run as written; the binary must be static
# (deploy/deploy_test.go). A whole static build, so not in make test.
deploy-check: assets
	TACH_DEPLOY_BUILD=1 $(GO) test -count=1 -run TestDockerfileBuildIsStatic ./deploy

assets:
	./web/tools/fetch-echarts.sh

templ:
	$(GO) tool templ generate -path templates

# Fails when the committed *_templ.go are stale.
templ-check:
	@before=$$(cat templates/*_templ.go | cksum); $(GO) tool templ generate -path templates >/dev/null 2>&1; \
	after=$$(cat templates/*_templ.go | cksum); \
	if [ "$$before" != "$$after" ]; then echo "templates/*_templ.go were stale (regenerated now): commit them"; exit 1; fi

# Headless Chromium; skipped with a message when it is missing (and in
# make race's -short run, where it would be slow).
browser:
	@./web/tools/fetch-echarts.sh || true
	$(GO) test -count=1 -run TestBrowser ./web

screenshots: assets
	TACH_SCREENSHOTS=$(CURDIR)/docs/screenshots TACH_REQUIRE_CHARTS=1 $(GO) test -count=1 -run TestBrowser ./web

# The slow half of the reliability suite: randomised fault schedules against
# both fake providers, SIGKILL crash chains of the real binary, the load
# test (50 clients while a sync writes) for 20 s, and the storm of heavy
# queries against the real binary (60 ten-year comparisons at once, their
# clients leaving; docs/performance.md, "Heavy queries").
reliability:
	TACH_RELIABILITY=1 $(GO) test -count=1 -v -run Reliability ./collectors/ ./cmd/tach/

# Each fuzz target briefly (go test -fuzz takes one target at a time).
# A count, not a duration: Go 1.26's fuzz coordinator can fail a clean run
# with "context deadline exceeded" when a -fuzztime deadline races a busy
# worker (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline.
# Minimising each new interesting input is capped by count too (its default
# is up to 60 s each, which stalls a short run).
FUZZTIME ?= 20000x
FUZZMINIMIZE ?= 1000x
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE)
fuzz:
	$(FUZZ) -fuzz '^FuzzApplyWebhook$$' ./collectors/github
	$(FUZZ) -fuzz '^FuzzApplyWebhook$$' ./collectors/gitlab
	$(FUZZ) -fuzz '^FuzzWebhookHandler$$' ./web
	$(FUZZ) -fuzz '^FuzzParseQuery$$' ./web
	$(FUZZ) -fuzz '^FuzzSurfacesAgree$$' ./metrics/query
	$(FUZZ) -fuzz '^FuzzParse$$' ./cmd/tach/config

# The scale benchmark (docs/performance.md, ## Scale): one table, at 10k,
# 100k and 1M changes. The demos it generates are kept under .cache/bench
# (TACH_BENCH_CACHE) and reused while the sources that shape them are
# unchanged. With DB='postgres://…' the parts that use the store (ingest,
# reports, the web) run on PostgreSQL instead: each demo is copied there
# with tach copy into a schema of its own (the URL's search_path, default
# tach_bench, and the scale: tach_bench_1000000; replaced), and the table
# is compared with the last SQLite run's at the same scale.
bench-scale:
	TACH_BENCH_DB='$(DB)' $(GO) test ./bench -run '^$$' -bench Scale -benchtime 1x -timeout 3h

bench: bench-sync bench-web bench-scale

# The PostgreSQL twin of the query-plan test at a million changes: the
# million-change demo (written once into $(PLANS_DB), a SQLite file, then
# kept) is copied into DB (give it a schema of its own:
# postgres://…?search_path=tach_plans; what it holds is replaced) with
# tach copy, and the hot queries' plans there, with the planner's own
# costs, must read no big table in full.
PLANS_DB ?= .cache/plans-1m.db
plans-postgres:
	@test -n "$(DB)" || { echo "usage: make plans-postgres DB='postgres://USER@HOST/DB?search_path=tach_plans'"; exit 2; }
	$(GO) build -o $(BIN) ./cmd/tach
	@mkdir -p $(dir $(PLANS_DB))
	test -f $(PLANS_DB) || ./$(BIN) demo --no-serve --scale 1000000 --db $(PLANS_DB)
	./$(BIN) copy --from $(PLANS_DB) --to '$(DB)' --replace
	TACH_PLANS_POSTGRES='$(DB)' $(GO) test ./store -count=1 -v -run TestHotQueriesUseIndexesAtScaleOnPostgres

bench-web:
	$(GO) test ./web -run '^$$' -bench . -benchtime 50x

bench-sync:
	$(GO) test ./collectors/github -run '^$$' -bench 'BenchmarkSync(Requests|WallTime)' -benchtime 1x
	$(GO) test ./collectors/gitlab -run '^$$' -bench 'BenchmarkSync(Requests|WallTime)' -benchtime 1x

clean:
	rm -rf bin $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
