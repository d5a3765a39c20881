# loopmonitor: `make run` starts the service, `make test` runs the tests, `make help` lists the rest.
# Everything installs into .venv from the pinned requirements*.txt; nothing else is needed.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

CHROMIUM     ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

# pip-compile's options for both pin files: no index or find-links lines (they are this
# machine's, not the project's), pip and setuptools pinned too, and the header names the target.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make requirements" $(VENV)/bin/pip-compile --quiet --strip-extras \
	--allow-unsafe --no-emit-index-url --no-emit-find-links

.PHONY: help install run migrate seed test test-fast lint format typecheck pre-commit browser-deps proxy-deps \
	requirements upgrade bench bench-compare bench-overview golden compose-check clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The pinned files, not the .in ranges: a fresh machine next year installs the same versions.
# requirements-dev.txt holds every pin of requirements.txt plus the tools.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## create .venv and install the pinned requirements-dev.txt

migrate: install ## apply the database migrations
	$(MANAGE) migrate --noinput

seed: migrate ## load the sample in data/ into an empty database (a second run keeps your data)
	$(MANAGE) load_data --dir data --if-empty

run: seed ## install, migrate, load data/, start web + worker (HOST=127.0.0.1 PORT=8000)
	@echo
	@echo "  web      http://$(HOST):$(PORT)/  (log in as the admin user below)"
	@echo "  API docs http://$(HOST):$(PORT)/api/docs/"
	@echo "  admin    http://$(HOST):$(PORT)/admin/"
	@echo "  health   http://$(HOST):$(PORT)/healthz"
	@if [ -n "$$EMAIL_URL" ]; then echo "  email    sent through EMAIL_URL"; else echo "  email    printed below, in the worker's output (EMAIL_URL unset: consolemail://)"; fi
	@$(MANAGE) ensure_superuser --base-url http://$(HOST):$(PORT)
	@echo "  (Ctrl-C stops the web server and the worker)"
	@echo
	@$(PY) -m loopmonitor.devstack --host $(HOST) --port $(PORT) --workers $(WORKERS)

# As root, `make test` installs Chromium and nginx for the browser and proxy tests; without
# root and without them those tests are skipped with a message (under
# LOOPMONITOR_REQUIRE_SERVICES=1, as in CI, they fail instead: reports/tests/test_page.py,
# reports/tests/test_proxy.py).
test: install ## the whole suite (PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL are set)
	@if [ "$$(id -u)" = 0 ]; then \
	  $(MAKE) --no-print-directory browser-deps proxy-deps; \
	else \
	  { [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; } || \
	    echo "make test: no Chromium here, so the browser tests will be skipped (sudo make browser-deps installs it)"; \
	  { { command -v nginx || [ -x /usr/sbin/nginx ]; } && command -v openssl; } >/dev/null 2>&1 || \
	    echo "make test: no nginx here, so the proxy test will be skipped (sudo make proxy-deps installs it)"; \
	fi
	$(PY) -m pytest

test-fast: install ## the suite without queue, slow and browser tests (no worker process, no Chromium)
	$(PY) -m pytest -m "not queue and not slow and not browser"

lint: install ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff format and ruff's safe fixes, in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install ## mypy (configuration in pyproject.toml)
	$(VENV)/bin/mypy

pre-commit: install ## install the git hook that runs ruff and mypy before each commit
	$(VENV)/bin/pre-commit install

# The browser test (reports/tests/test_page.py) drives Debian's Chromium through chromedriver.
browser-deps: ## install Debian's chromium and chromium-driver (as root) for the browser test
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then \
	  echo "browser-deps: chromium and chromedriver already installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
	  echo "browser-deps: run as root (sudo make browser-deps) to apt-get install chromium chromium-driver" >&2; exit 1; \
	fi

# The proxy test (reports/tests/test_proxy.py) runs Debian's nginx with deploy/nginx/ and an openssl certificate.
proxy-deps: ## install Debian's nginx and openssl (as root) for the proxy test
	@if { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then \
	  echo "proxy-deps: nginx and openssl already installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl; \
	else \
	  echo "proxy-deps: run as root (sudo make proxy-deps) to apt-get install nginx openssl" >&2; exit 1; \
	fi

requirements: install ## compile requirements*.in into requirements*.txt, keeping the current pins
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# `make upgrade PACKAGE=django` moves that one package (and what it needs) only.
UPGRADE = $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)
upgrade: install ## move every pin (or PACKAGE=name's) to the newest release the .in ranges allow
	$(PIP_COMPILE) $(UPGRADE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) $(UPGRADE) --output-file requirements-dev.txt requirements-dev.in

bench: install ## run the benchmarks and rewrite BENCHMARKS.md
	$(PY) -m bench
bench-compare: install ## before/after this session and calendars: the compare section of BENCHMARKS.md
	$(PY) -m bench --only compare

bench-overview: install ## the fleet overview: report generation before/after this branch, the page at 14,000 stores
	$(PY) -m bench.overview

# The golden report of the data/ sample (reports/tests/test_golden.py). Only
# docs/numbers.md changes may change it.
golden: install ## rewrite data/expected_report.csv (only for a docs/numbers.md change)
	rm -rf var/golden && LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) migrate --noinput -v0
	LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) load_data --dir data >/dev/null
	LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) report --out data/expected_report.csv

# `docker compose config` validates docker-compose.yml without a Docker engine;
# where only Debian's docker-compose (v1) is installed, that one is used.
compose-check: ## validate docker-compose.yml
	@if docker compose version >/dev/null 2>&1; then c="docker compose"; else c="docker-compose"; fi; \
	DJANGO_SECRET_KEY=compose-check $$c config --quiet && echo "docker-compose.yml: valid ($$c)"

clean: ## remove var/, media/, staticfiles/ and caches
	rm -rf var media staticfiles .pytest_cache .mypy_cache .ruff_cache
