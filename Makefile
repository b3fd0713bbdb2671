# taskmgr — every target is documented by its `##` line; `make help` lists them.
# Quick start: `make run` (whole stack, no Docker) and `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
PY := $(BIN)/python
# where make run keeps its state; .env may move it
STATE_DIR ?= $(or $(shell sed -n 's/^STATE_DIR=//p' .env 2>/dev/null),.run)
HONCHO := PATH="$(BIN):$$PATH" $(BIN)/honcho
COMPOSE := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
# pytest workers: the suite is mostly waiting on real servers, so more workers than cores pays off
PYTEST_WORKERS ?= 4
# what stack.prepare renders: the Prometheus/Alertmanager files and one <process>.env each
CONFIG_DIR := $(abspath $(STATE_DIR))/config
# run a command in the API's environment (generated secrets, SQLite path, Redis URL, window)
IN_API_ENV = set -a && . "$(CONFIG_DIR)/api.env" && set +a &&
MANAGE = $(PY) -m stack.prepare --quiet && $(IN_API_ENV) $(PY) api/manage.py

.PHONY: help venv binaries run demo dev test test-cov lint format check migrate makemigrations \
        shell requirements render k8s simulate bench soak compose-up compose-down compose-logs \
        compose-restart

help: ## Show the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed ## Create the virtual environment and install the pinned dependencies

binaries: venv ## Check redis-server, prometheus, alertmanager, promtool, amtool (apt-get install them when root)
	$(PY) -m stack.bootstrap binaries --install

run: venv binaries ## Run the whole stack natively (API, bridge, outbox, Redis, Prometheus, Alertmanager, Grafana if present)
	$(PY) -m stack.prepare
	$(IN_API_ENV) cd api && $(PY) manage.py migrate --noinput && $(PY) manage.py ensure_superuser
# each Procfile line sources its own file from CONFIG_DIR; no shared env file (-e /dev/null)
	CONFIG_DIR="$(CONFIG_DIR)" $(HONCHO) start -f Procfile -e /dev/null

demo: ## make run with the fast timing profile and fault injection on (alerts within seconds)
	TIMING_PROFILE=fast FAULT_INJECTION_ENABLED=true $(MAKE) run

simulate: venv ## Send traffic: make simulate SCENARIO=error-burst ARGS="--rate 30 --duration 60"
	$(PY) -m loadgen $(SCENARIO) $(ARGS)

bench: venv ## Run the benchmarks and write bench/results.md (takes a while)
	$(PY) -m stack.bootstrap binaries --install --with wrk
	$(PY) -m bench $(ARGS)

soak: venv ## Ten minutes of mixed load against the running stack (make run); report in $(STATE_DIR)/soak-report.json
	STATE_DIR=$(STATE_DIR) $(PY) -m soak $(ARGS)

compose-up: ## Start the stack in containers (needs Docker and a .env with the secrets)
	@test -f .env || { echo "no .env: cp .env.example .env, then set DJANGO_SECRET_KEY, ALERT_BRIDGE_TOKEN and ACK_SIGNING_KEY"; exit 1; }
	$(COMPOSE) up -d --build

compose-down: ## Stop the containers (volumes are kept)
	$(COMPOSE) down

compose-logs: ## Follow the containers' logs
	$(COMPOSE) logs -f

compose-restart: ## Restart the containers
	$(COMPOSE) restart

dev: venv ## Run only the API with Django's autoreloading dev server (DEBUG on, SQLite; Redis at REDIS_URL)
	$(MANAGE) migrate --noinput
	export DJANGO_DEBUG=true; $(MANAGE) runserver $${API_PORT:-8000}

test: venv ## Run the test suite (SQLite; the API tests again on PostgreSQL when DATABASE_URL is set)
	$(PY) -m stack.bootstrap binaries --install --with chromium --with wrk --with docker-compose \
		--with victoria-metrics
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== API tests again on PostgreSQL ($$DATABASE_URL)"; \
		$(BIN)/pytest -n $(PYTEST_WORKERS) tests/api $(PYTEST_ARGS); \
	fi

test-cov: venv ## Run the test suite with a coverage report (htmlcov/)
	$(PY) -m stack.bootstrap binaries --install --with chromium --with wrk --with docker-compose \
		--with victoria-metrics
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) --cov=api --cov=alertstore \
		--cov=alert-bridge/bridge --cov=stack --cov-report=term-missing:skip-covered --cov-report=html

lint: venv ## Lint with ruff (no changes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## Format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint ## Lint, Django system checks, rendered Prometheus/Alertmanager config checks
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m stack.render --out $(STATE_DIR)/check --check

migrate: venv ## Apply database migrations
	$(MANAGE) migrate

makemigrations: venv ## Create new migrations after model changes
	$(MANAGE) makemigrations

shell: venv ## Open a Django shell
	$(MANAGE) shell

render: venv ## Render Prometheus and Alertmanager config from the environment into .run/config
	$(PY) -m stack.render --out $(STATE_DIR)/config

k8s: venv ## Render deploy/base/generated (PrometheusRule, AlertmanagerConfig, ConfigMaps) for kustomize
	$(PY) -m stack.k8s

requirements: venv ## Re-pin requirements*.txt from requirements*.in (upgrades within the .in ranges)
	$(BIN)/pip-compile --quiet --upgrade --strip-extras --no-header --no-emit-index-url \
		--no-emit-find-links requirements.in -o requirements.txt
	$(BIN)/pip-compile --quiet --upgrade --strip-extras --no-header --no-emit-index-url \
		--no-emit-find-links requirements-dev.in -o requirements-dev.txt
