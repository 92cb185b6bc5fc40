# The two commands a newcomer needs: `make run` and `make test`. Both set up their own
# virtualenv in .venv from the pinned requirements.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run in parallel; override with `make test PYTEST_ARGS="-k paper"`.
PYTEST_ARGS ?=
# Links built for the outside (e-mails, feeds, canonical tags, the API) follow HOST and PORT.
DEV_ENV := DJANGO_DEBUG=1 SITE_URL=http://$(HOST):$(PORT)

.PHONY: run test check lint format migrate demo bench traffic chromium clean backup restore

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py load_demo

## Serve the demo site on SQLite at http://127.0.0.1:8000, with the background worker beside it
run: demo
	@echo "ShortScience is starting at http://$(HOST):$(PORT)/ (and its worker; Ctrl-C stops both)"
	@$(DEV_ENV) $(BIN)/python manage.py run_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (browser tests need /usr/bin/chromium: `make chromium`)
test: $(VENV)/.dev chromium
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

## Install Debian's Chromium for the browser tests when it is missing (needs root)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; \
	  fi; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Lint, check migrations are complete and the apps' layers (.importlinter), then test
check: lint
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(MAKE) test

## Benchmarks against PostgreSQL (see docs/benchmarks.md)
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

## Traffic benchmark: a long tail of pages while writes go on (see docs/benchmarks.md)
traffic: $(VENV)/.dev
	$(BIN)/python bench/traffic.py

# Backups use the configured database (DATABASE_URL, else SQLite); see docs/operations.md.
BACKUP_ENV := $(if $(DJANGO_SECRET_KEY),,DJANGO_DEBUG=1)

## Back up everything into backups/: pg_dump -Fc on PostgreSQL, else the portable .jsonl.gz
backup: $(VENV)/.runtime
	$(BACKUP_ENV) $(BIN)/python manage.py backup $(if $(filter postgres%,$(DATABASE_URL)),--pg-dump) $(FILE)

## Restore a backup (either format) into an empty database: make restore FILE=backups/...
restore: $(VENV)/.runtime
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/shortscience-....json.gz" >&2; exit 2; }
	$(BACKUP_ENV) $(BIN)/python manage.py restore $(FILE)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 test-results
