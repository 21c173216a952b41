# Nova: `make run` serves the app, `make test` runs every check.
# Both create the virtualenv in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint bench demo vendor clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

## Serve Nova on http://$(HOST):$(PORT)/ (SQLite and the in-memory layer by default).
run: $(VENV)/.runtime
	PYTHON=$(BIN)/python HOST=$(HOST) PORT=$(PORT) ./bin/start

## Lint and run the whole test suite, browser tests included.
test: $(VENV)/.dev
	./scripts/install-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

## Run the five benchmarks (bench/README.md); 1-4 on the embedded default,
## 5 on the PostgreSQL and Redis named here (defaults: those on 127.0.0.1).
bench: $(VENV)/.dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	  $(BIN)/python -m bench.run all

## Fill a fresh database with demo people, friends, groups and history.
demo: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Refresh the vendored front-end libraries (needs npm).
vendor:
	./scripts/vendor-static.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
