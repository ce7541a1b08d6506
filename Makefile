# The project's one task runner. README names `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: install setup run test test-unit test-moments lint fmt status refresh demo-reset clean-data soak bench bench-city bench-import bench-import-xlsx bench-api bench-briefing load load-browser cluster cluster-down

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## setup: start Postgres (embedded unless DATABASE_URL is set), migrate, load the demo when empty
setup: install
	$(PY) -m data_access setup

## run: serve the dashboard on $(PORT)
run: setup
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT)

## test: the whole test suite against a real Postgres (tests/unit, tests/integration, tests/e2e)
test: setup
	$(PY) -m pytest

## test-unit: the tests that need no database (catalogue, clock, periods, formats, charts, layout): under a minute
test-unit: install
	$(PY) -m pytest tests/unit

# The suite at moments that break clocks (not in CI; about 20 minutes a moment): each builds a store of its own at
# that moment (GGC_NOW, China time) and runs every test but the browser and cluster ones on it.
MOMENTS ?= 2026-12-07T00:30 2026-12-07T23:30 2026-12-01T08:30 2026-11-30T18:00 2027-01-01T00:30
test-moments: install
	@for m in $(MOMENTS); do db=cockpit_at_$$(echo $$m | tr -d ':T-'); echo "== $$m ($$db)"; \
		GGC_DB_NAME=$$db GGC_NOW=$$m $(PY) -m data_access setup >/dev/null && \
		GGC_DB_NAME=$$db GGC_NOW=$$m $(PY) -m pytest -q -m "not browser and not cluster" $(TESTS) || exit 1; done

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

status: install
	$(PY) -m data_access status

## refresh: rebuild the summary tables from the raw tables
refresh: install
	$(PY) -m data_access refresh

## demo-reset: rebuild the demo city from scratch
demo-reset: install
	$(PY) -m data_access demo --replace

## clean-data: stop the embedded Postgres and delete its data
clean-data:
	-$(PY) -c "from data_access.engine import embedded_server; embedded_server().stop()" 2>/dev/null
	rm -rf .data

# Wall-screen soak with a store outage halfway (not in CI; 4 h): MINUTES=240 make soak
soak: setup
	.venv/bin/python scripts/soak.py --minutes $(or $(MINUTES),240)

# Page timings at megacity scale against two baselines (not in CI; builds cockpit_mega when missing, ≈25 min)
bench: setup
	GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/bench_pages.py --write

# City-scope cold page times on a small-but-wide store: every Wuhan district at a tenth of megacity volume (about a
# million issues; builds cockpit_city the first time, ≈5 min). Run it before resolving work on reads, summaries or the
# demo (not in CI; `make bench` is the megacity's whole table).
bench-city: setup
	GGC_DB_NAME=cockpit_city .venv/bin/python scripts/bench_pages.py --scale 1 --levels city --repeats 3 --no-baselines

# A million issue rows from CSV through the importer, into a scratch copy of the demo store (not in CI; ≈2 min)
bench-import: setup
	.venv/bin/python scripts/bench_import.py 1000000

# The same million rows as a 12345 platform's .xlsx export (a title above the header, 合计 below), its reading timed
# with python-calamine and with openpyxl (not in CI; ≈10 min, most of it writing the workbook)
bench-import-xlsx: setup
	.venv/bin/python scripts/bench_import.py 1000000 --xlsx

# API call times (cold, warm) and a signed-in reload against a page switch, on the demo store (not in CI; ≈2 min)
bench-api: setup
	.venv/bin/python scripts/bench_api.py --write

# Briefing and alert times on the demo store, and alert evaluation on the megacity store when built (not in CI; ≈2 min)
bench-briefing: setup
	.venv/bin/python scripts/bench_briefing.py --write

# Simulated users speaking Streamlit's protocol (no browser) against one app process on the demo store, 5 minutes
# (not in CI): USERS=, MINUTES=, URL= (e.g. nginx in front of several processes), DB= (e.g. cockpit_mega)
load: setup
	GGC_DB_NAME=$(or $(DB),cockpit) .venv/bin/python scripts/loadgen.py --users $(or $(USERS),20) \
		--minutes $(or $(MINUTES),5) $(if $(URL),--url $(URL)) --write

# The browser smoke run: a few Chromium sessions switching places and pages on the megacity store (not in CI)
load-browser: setup
	GGC_DB_NAME=cockpit_mega .venv/bin/python scripts/load.py --sessions $(or $(SESSIONS),5) --minutes $(or $(MINUTES),2) --write

# nginx (sticky by cookie) → N app processes (PROCESSES=, default one per core) → pgbouncer (transaction mode) → the
# embedded Postgres as primary and a streaming replica of it for the pages' reads (not in CI; docs/deployment.md).
# REPLICA=0 reads from the primary; DB= serves another store (e.g. cockpit_mega). Then: make load URL=http://127.0.0.1:8600
cluster: setup
	@need=""; for p in nginx pgbouncer; do command -v $$p >/dev/null || [ -x /usr/sbin/$$p ] || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $$need; fi
	GGC_DB_NAME=$(or $(DB),cockpit) .venv/bin/python scripts/cluster.py up $(if $(PROCESSES),--processes $(PROCESSES)) \
		$(if $(filter 0,$(REPLICA)),--no-replica)

cluster-down: install
	.venv/bin/python scripts/cluster.py down
