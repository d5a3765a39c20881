# loopmonitor: `make run` starts the service, `make test` runs the tests.
# Everything installs into .venv from requirements*.txt; nothing else is needed.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

CHROMIUM     ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: run test install browser-deps proxy-deps migrate seed bench golden clean compose-check help

help:
	@echo "make run    - install, migrate, load data/, start web + worker on http://$(HOST):$(PORT)/"
	@echo "make test   - run the test suite (PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL are set)"
	@echo "make bench  - run the benchmarks and rewrite BENCHMARKS.md"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) load_data --dir data

run: seed
	@echo
	@echo "  web      http://$(HOST):$(PORT)/  (log in as the admin user below)"
	@echo "  API docs http://$(HOST):$(PORT)/api/docs/"
	@echo "  admin    http://$(HOST):$(PORT)/admin/"
	@echo "  health   http://$(HOST):$(PORT)/healthz"
	@$(MANAGE) ensure_superuser --base-url http://$(HOST):$(PORT)
	@echo "  (Ctrl-C stops the web server and the worker)"
	@echo
	@$(PY) -m loopmonitor.devstack --host $(HOST) --port $(PORT) --workers $(WORKERS)

# The browser test (reports/tests/test_page.py) drives Debian's Chromium through chromedriver.
browser-deps:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then \
	  echo "browser-deps: chromium and chromedriver already installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
	  echo "browser-deps: run as root (sudo make browser-deps) to apt-get install chromium chromium-driver" >&2; exit 1; \
	fi

# The proxy test (reports/tests/test_proxy.py) runs Debian's nginx with deploy/nginx/ and an openssl certificate.
proxy-deps:
	@if { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then \
	  echo "proxy-deps: nginx and openssl already installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl; \
	else \
	  echo "proxy-deps: run as root (sudo make proxy-deps) to apt-get install nginx openssl" >&2; exit 1; \
	fi

test: install browser-deps proxy-deps
	$(PY) -m pytest

bench: install
	$(PY) -m bench

# The golden report of the data/ sample (reports/tests/test_golden.py). Only
# SEMANTICS.md changes may change it.
golden: install
	rm -rf var/golden && LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) migrate --noinput -v0
	LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) load_data --dir data >/dev/null
	LOOPMONITOR_VAR_DIR=var/golden $(MANAGE) report --out data/expected_report.csv

# `docker compose config` validates docker-compose.yml without a Docker engine;
# where only Debian's docker-compose (v1) is installed, that one is used.
compose-check:
	@if docker compose version >/dev/null 2>&1; then c="docker compose"; else c="docker-compose"; fi; \
	DJANGO_SECRET_KEY=compose-check $$c config --quiet && echo "docker-compose.yml: valid ($$c)"

clean:
	rm -rf var media staticfiles .pytest_cache
