# Two commands do everything on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app watchparty
export WATCHPARTY_ENV ?= development

.PHONY: run test lint pytest migrate demo browser-deps clean

# Reinstall when pyproject.toml changes; the stamp records the last install.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port 5000

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
pytest: $(VENV)/.installed
	env -u TEST_DATABASE_URL $(BIN)/pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest -q; \
	fi

test: lint pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
