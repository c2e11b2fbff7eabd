# Two commands do everything on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app watchparty
export WATCHPARTY_ENV ?= development

# uv installs exactly what uv.lock pins (app and dev tools, with hashes). It is
# itself pinned and bootstrapped with pip into .tools/, outside .venv, because
# `uv sync` removes from .venv whatever the lock does not name. It uses the
# machine's python3 and never downloads an interpreter.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON ?= $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE ?= copy

.PHONY: run test lint licences lock pytest migrate demo browser-deps bench clean

$(TOOLS)/.uv-$(UV_VERSION):
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	touch $@

# Reinstall when pyproject.toml or uv.lock changes; the stamp records the last
# install. --locked fails when pyproject.toml and uv.lock disagree: run `make lock`.
$(VENV)/.installed: pyproject.toml uv.lock $(TOOLS)/.uv-$(UV_VERSION)
	$(UV) sync --locked --extra dev
	touch $@

# Re-resolve uv.lock after editing pyproject.toml (keeps the other pins);
# `make lock UPGRADE=1` moves every package to its newest allowed version.
lock: $(TOOLS)/.uv-$(UV_VERSION)
	$(UV) lock $(if $(UPGRADE),--upgrade)

# The mail worker runs beside the development server and stops with it: emails
# appear in instance/outbox/ (or go to MAIL_SERVER) a second after a request queues them.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) mail work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

lint: $(VENV)/.installed
	$(UV) lock --check
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(MAKE) --no-print-directory licences

# The runtime dependencies' licences (uv.lock's, the dev tools left out) must be
# compatible with AGPL-3.0-or-later: [tool.pip-licenses] in pyproject.toml lists them.
licences: $(VENV)/.installed
	@runtime=$$($(UV) export --frozen --no-hashes --no-emit-project --no-header --no-annotate) \
	&& names=$$(printf '%s\n' "$$runtime" | sed 's/[ =;].*//' | sort -u) && test -n "$$names" \
	&& $(BIN)/pip-licenses --packages $$names

# The suite runs in two lanes at the same time, so that the browser and system
# tests' waiting (for Chromium, for servers to start) overlaps the rest:
# - lane 1 runs it on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set,
#   each pass spread over PYTEST_WORKERS processes (pytest-xdist; each worker has its
#   own SQLite file or PostgreSQL schema: tests/conftest.py), the browser tests left out;
# - lane 2, in one process, runs the browser tests once, on PostgreSQL when there is
#   one (they prove what a visitor's browser shows and does; both databases are proved
#   under them by the rest of the suite), then, with PostgreSQL, the system tests
#   (tests/system: gunicorn servers on ports the kernel picks, on a database of their
#   own, with Redis counters under a key prefix of their own).
# Lane 2's output goes to a file, printed when lane 1 is done, so that the two never
# interleave. Either lane failing fails the target.
# PYTEST_ARGS adds options to every pass, e.g. PYTEST_ARGS=--durations=15; when it
# narrows the run (PYTEST_ARGS="-k timezones"), a pass left with no test to run
# (pytest's exit status 5) is no failure.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q $(PYTEST_ARGS)
NOTHING_LEFT_IS_FINE := $(if $(strip $(PYTEST_ARGS)),|| [ $$? -eq 5 ])
LANE1_PASS := $(PYTEST) -n $(PYTEST_WORKERS) -m "not system" --ignore=tests/browser $(NOTHING_LEFT_IS_FINE)
pytest: $(VENV)/.installed
	@lane2=$$(mktemp) && trap 'rm -f "$$lane2"' EXIT; \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		{ $(PYTEST) tests/browser tests/system $(NOTHING_LEFT_IS_FINE); } >"$$lane2" 2>&1 & lane2_pid=$$!; \
		echo "== lane 2 runs the browser and system tests on PostgreSQL meanwhile; its output follows lane 1's"; \
		echo "== lane 1 on SQLite"; \
		{ env -u TEST_DATABASE_URL $(LANE1_PASS); } \
		&& echo "== lane 1 again on PostgreSQL ($$TEST_DATABASE_URL)" \
		&& { $(LANE1_PASS); }; \
	else \
		{ $(PYTEST) tests/browser $(NOTHING_LEFT_IS_FINE); } >"$$lane2" 2>&1 & lane2_pid=$$!; \
		echo "== lane 2 runs the browser tests meanwhile; its output follows lane 1's"; \
		echo "== lane 1 on SQLite"; \
		{ $(LANE1_PASS); }; \
	fi; \
	lane1_status=$$?; \
	wait $$lane2_pid; lane2_status=$$?; \
	echo "== lane 2 (the browser tests$${TEST_DATABASE_URL:+, then the system tests})"; \
	cat "$$lane2"; \
	[ $$lane1_status -eq 0 ] || echo "== lane 1 failed"; \
	[ $$lane2_status -eq 0 ] || echo "== lane 2 failed"; \
	[ $$lane1_status -eq 0 ] && [ $$lane2_status -eq 0 ]

test: lint browser-deps pytest

# The browser tests need Debian's chromium, and axe-core and the Nu Html Checker
# (vnu-jar, run by the machine's Java) from npm. Installed when missing and possible;
# without them those tests (or the HTML check) skip, or fail under CI=true.
CHROMIUM ?= /usr/bin/chromium
browser-deps: tests/browser/node_modules/.installed
	@if [ ! -x $(CHROMIUM) ]; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "== installing chromium (apt)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null \
			|| (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null) \
			|| echo "could not install chromium: browser tests will skip (or fail under CI=true)"; \
		else \
			echo "no chromium and no way to install it: browser tests will skip (or fail under CI=true)"; \
		fi; \
	fi
	@if ! command -v java >/dev/null; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "== installing a Java runtime for the Nu Html Checker (apt)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends default-jre-headless >/dev/null \
			|| (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends default-jre-headless >/dev/null) \
			|| echo "could not install Java: the HTML check will be left out (or fail under CI=true)"; \
		else \
			echo "no Java and no way to install it: the HTML check will be left out (or fail under CI=true)"; \
		fi; \
	fi

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		(cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && touch $@; \
	else \
		echo "no npm: axe-core and vnu-jar are missing, accessibility tests and the HTML check will skip (or fail under CI=true)"; \
	fi

# Throughput of the hottest pages as a fraction of /healthz (bench/results.md).
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null) \
		|| (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .hypothesis
