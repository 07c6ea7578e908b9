# SQM — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast bench lint format system-deps messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## make demo: install, migrate, generate a demo province, serve on http://127.0.0.1:8000
demo: $(STAMP) system-deps
	$(BIN)/sqm demo

## Debian packages the browser tests and PDF reports need (chromium, fonts-noto-cjk).
system-deps:
	@bash scripts/system-deps.sh

## make test: the whole suite (browser tests included) on SQLite, or on SQM_DATABASE_URL.
test: $(STAMP) system-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

## Everything but the browser tests.
test-fast: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"

## make bench: the import, work-order and KPI benchmarks (1,000,000 rows; PostgreSQL too when
## SQM_DATABASE_URL is set). Figures: docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python bench/import_customers.py
	$(BIN)/python bench/complaints.py
	$(BIN)/python bench/kpi.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Recompile the shipped translations after editing sqm/locale/*/LC_MESSAGES/django.po.
messages: $(STAMP)
	cd sqm && ../$(BIN)/sqm compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
