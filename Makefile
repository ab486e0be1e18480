# Two commands on a fresh machine with Python 3.11, 3.12 or 3.13 as python3:  make demo  |  make test
# (PYTHON=python3.13 make ... picks another; 3.10 cannot install duckdb 2.0.)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install demo test test-fast test-spark validate-demo bench bench-large lint clean cost-impact ci-slim

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else "Python 3.11, 3.12 or 3.13 is required (duckdb 2.0 has none for older), found " + sys.version.split()[0] + ": set PYTHON=python3.X")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[spark,dev]"
	@touch $(STAMP)

install: $(STAMP)

## Generate demo data, build it with dbt on DuckDB (every test), print the per-customer report,
## write the dashboards (demo/dashboard/) and print the path of their index.html.
demo: $(STAMP)
	$(BIN)/cpc demo --out demo

## The whole test suite: pytest (CLI, generator, landing, rules, end to end on DuckDB and Spark),
## in two worker processes, each test file in one worker (its module fixtures built once), the
## longest files first in the order cli/tests/conftest.py gives (--no-loadscope-reorder keeps it).
test: $(STAMP)
	$(BIN)/pytest -q -ra -n 2 --dist loadfile --no-loadscope-reorder --durations=15

## Everything but the Spark build.
test-fast: $(STAMP)
	$(BIN)/pytest -q -ra -n 2 --dist loadfile --no-loadscope-reorder -m "not spark"

## Only the Spark builds (the rest of the suite is test-fast).
test-spark: $(STAMP)
	$(BIN)/pytest -q -ra -m spark

## Validate the demo's warehouse (after make demo): Great Expectations suites and Data Docs.
validate-demo: $(STAMP)
	$(BIN)/cpc validate --warehouse demo/warehouse.duckdb

## Benchmark: 1k and 10k customers x 90 days on DuckDB, then the 1k input on Spark beside it; prints rows,
## wall time and peak memory per stage.
bench: $(STAMP)
	$(BIN)/python -m cpc.bench

## The large benchmark (not part of make test; an hour or more on 2 cores): 10k customers x 365 days
## and 100k x 90 on DuckDB, each a full build and one appended day, with rows per second and peak
## memory (DuckDB spills beyond the profile's memory_limit).
bench-large: $(STAMP)
	$(BIN)/python -m cpc.bench --large --out bench-results-large

## Cost impact of the working tree against BASE (a git revision): both build one generated input,
## then `cpc diff --format markdown` (see README, "Pull requests").
cost-impact: $(STAMP)
	@test -n "$(BASE)" || { echo "error: give the base revision, e.g. make cost-impact BASE=origin/main" >&2; exit 2; }
	scripts/cost-impact $(BASE)

## Slim CI: build only the models a change touches and their children, with their tests
## (state:modified+), against BASE_STATE, a folder holding the base revision's manifest.json
## (scripts/ci-slim state BASE_REV DIR makes one). CPC_WAREHOUSE: the DuckDB file holding the
## landed input and the base's models; models not selected are read from it (--defer).
CPC_WAREHOUSE ?= warehouse/cpc.duckdb
ci-slim: $(STAMP)
	@test -f "$(BASE_STATE)/manifest.json" || { echo "error: BASE_STATE=$(BASE_STATE): no manifest.json there; make one with scripts/ci-slim state BASE_REV DIR" >&2; exit 2; }
	@test -f "$(CPC_WAREHOUSE)" || { echo "error: CPC_WAREHOUSE=$(CPC_WAREHOUSE): no DuckDB warehouse there; cpc land an input and build it with the base revision first" >&2; exit 2; }
	CPC_WAREHOUSE=$(abspath $(CPC_WAREHOUSE)) $(BIN)/dbt build --select state:modified+ --defer \
		--state $(abspath $(BASE_STATE)) --project-dir . --profiles-dir profiles --target duckdb \
		--target-path $(abspath $(dir $(CPC_WAREHOUSE)))/ci-slim-target \
		--log-path $(abspath $(dir $(CPC_WAREHOUSE)))/ci-slim-logs

## Lint: ruff (Python) and sqlfluff (the SQL of models/ and tests/, configured in .sqlfluff).
lint: $(STAMP)
	$(BIN)/ruff check cli .sqlfluff_libs
	$(BIN)/sqlfluff lint models tests

clean:
	rm -rf demo warehouse target logs bench-results
