# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test test-postgres bench loadtest lint format check clean lock audit messages \
  compile-messages

# Installs exactly what requirements.lock pins, every file checked against its hash
# (`make lock` writes it from pyproject.toml after a dependency changes).
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make lock: pin every dependency (test tools included) with hashes, from pyproject.toml
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra test --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

## make audit: known vulnerabilities of the pinned versions (needs PyPI's advisory database online)
audit: $(STAMP)
	$(PY) -m pip install --quiet pip-audit
	$(VENV)/bin/pip-audit --require-hashes --disable-pip -r requirements.lock

## make messages: collect the marked strings into locale/de/LC_MESSAGES/django.po (needs GNU
## gettext's xgettext/msgmerge, Debian's `gettext`), then compile it. Translate the new entries
## in the .po (fuzzy or empty ones show in English) and run it again.
messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l de --no-obsolete --no-wrap \
	  --ignore=.venv --ignore=tests --ignore=tools --ignore=demo --ignore=static --ignore=staticfiles
	$(MAKE) compile-messages

## make compile-messages: the .po files compiled to .mo with Babel (pure Python, no gettext
## needed); the .mo is committed too, so a plain checkout runs translated. The British
## catalogue is written from the German one first (tools/english_catalogue.py: a speed-up)
compile-messages: $(STAMP)
	DEBUG=$${DEBUG:-1} $(PY) tools/english_catalogue.py
	$(VENV)/bin/pybabel compile -d locale -D django

## make run: install, migrate, load the demo if the database is empty, serve on 127.0.0.1:8000
run: $(STAMP) compile-messages
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ (background worker started beside it)"
	@DEBUG=$${DEBUG:-1} $(PY) manage.py db_worker --interval 1 & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

## make worker: one background-task worker for TASKS_BACKEND (db: db_worker; rq: an RQ worker on
## REDIS_URL); start as many as needed, on as many machines, beside the app servers
worker: $(STAMP)
	@case "$${TASKS_BACKEND:-db}" in \
	  rq|django_tasks_rq.RQBackend) \
	    exec $(PY) manage.py rqworker default --job-class django_tasks_rq.backend.Job ;; \
	  *) exec $(PY) manage.py db_worker ;; \
	esac

## make test: the whole suite (browser journeys included when Debian's chromium is installed)
test: $(STAMP) compile-messages
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-postgres: the suite on PostgreSQL, the app's queries as frameworks_app under
## row-level security (the URL's user creates the test database and migrates it)
test-postgres: $(STAMP) compile-messages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/frameworks} \
	  DATABASE_APP_ROLE=$${DATABASE_APP_ROLE:-frameworks_app} $(PY) -m pytest $(PYTEST_ARGS)

## make bench: benchmarks under tests/perf (run on purpose, print their figures)
bench: $(STAMP)
	$(PY) -m pytest tests/perf -p no:cacheprovider -s -o addopts="" $(PYTEST_ARGS)

## make loadtest: the large tenant (built once with seed_scale) served by gunicorn, each main
## page driven by wrk on loopback beside the bare view; needs Debian's wrk and PostgreSQL
LOADTEST_TENANT ?= large
# Three rounds of 5 s a page, medians: a shared machine's speed drifts within a run.
LOADTEST_ARGS ?= --duration 5 --rounds 3
loadtest: $(STAMP) compile-messages
	export DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/frameworks} \
	  DATABASE_APP_ROLE=$${DATABASE_APP_ROLE:-frameworks_app}; \
	$(PY) manage.py migrate --noinput -v0 && \
	$(PY) manage.py seed_scale --tenant $(LOADTEST_TENANT) --if-missing && \
	$(PY) manage.py loadtest --tenant $(LOADTEST_TENANT) $(LOADTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/djlint templates --check

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(STAMP)
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles media-test artifacts
