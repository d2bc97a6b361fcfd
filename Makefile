# Every target installs what it needs into .venv first, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The machine's PostgreSQL; the PostgreSQL half of the suite skips (or, with CI=true, fails) when it is down.
CUSTOS_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export CUSTOS_TEST_POSTGRES_URL

HTMX := src/custos/web/static/vendor/htmx.min.js
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-sqlite test-postgres soak lint bench bench-smoke clean assets chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# htmx comes from the npm package pinned in package-lock.json and is served from our own static files (no CDN).
assets: $(HTMX)
$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# Debian's chromium drives the browser tests (Playwright); installed only when missing.
chromium:
	@test -x $(CHROMIUM) || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

run: $(STAMP) $(HTMX)
	$(BIN)/custos init
	$(BIN)/custos demo seed --people 200 --if-empty
	$(BIN)/custos serve

test: test-sqlite test-postgres

test-sqlite: $(STAMP) $(HTMX) chromium
	$(BIN)/pytest -q --backend sqlite

test-postgres: $(STAMP) $(HTMX) chromium
	$(BIN)/pytest -q --backend postgres

# The invariants' state machine with many more random histories than `make test` runs (docs/invariants.md).
CUSTOS_SOAK_EXAMPLES ?= 500
soak: $(STAMP)
	CUSTOS_SOAK_EXAMPLES=$(CUSTOS_SOAK_EXAMPLES) CUSTOS_SOAK_SHRINK=1 $(BIN)/pytest -q --backend sqlite tests/invariants/test_stateful.py tests/access/test_four_eyes_property.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_retention.py
	$(BIN)/python benchmarks/bench_consent.py --workers 4
	$(BIN)/python benchmarks/bench_systems.py
	$(BIN)/python benchmarks/bench_requests.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_people_list.py

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py --people 20000 --no-results
	$(BIN)/python benchmarks/bench_audit.py --events 20000 --append 2000 --each 200 --no-results
	$(BIN)/python benchmarks/bench_retention.py --people 20000 --no-results
	$(BIN)/python benchmarks/bench_consent.py --requests 500 --no-results
	$(BIN)/python benchmarks/bench_systems.py --customers 5000 --people 50 --no-results
	$(BIN)/python benchmarks/bench_requests.py --customers 5000 --people 20 --flight 40 --clients threads --no-results
	$(BIN)/python benchmarks/bench_dashboard.py --people 20000 --repeat 3 --no-results

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules $(HTMX)
