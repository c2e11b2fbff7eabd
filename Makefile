# Two commands do everything on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app watchparty
export WATCHPARTY_ENV ?= development

.PHONY: run test lint pytest migrate demo browser-deps bench clean

# Reinstall when pyproject.toml changes; the stamp records the last install.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

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
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
# The system tests (tests/system: gunicorn servers on PostgreSQL and Redis) run
# once, in the PostgreSQL pass.
pytest: $(VENV)/.installed
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -m "not system"
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest -q; \
	fi

test: lint browser-deps pytest

# The browser tests need Debian's chromium and axe-core (from npm). Installed
# when missing and possible; without them those tests skip, or fail under CI=true.
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

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) && touch $@; \
	else \
		echo "no npm: axe-core is missing, accessibility tests will skip (or fail under CI=true)"; \
	fi

# Throughput of the hottest pages as a fraction of /healthz (bench/results.md).
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null) \
		|| (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
