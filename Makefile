# The two commands: `make run` serves the application with demonstration data,
# `make test` runs the test suite. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := DJANGO_DEBUG=1
# The demonstration key that signs the audit checkpoints (made by `make run` when missing).
AUDIT_KEY ?= var/audit-checkpoint-key.pem
# The demo's signing key and seal, made by `make run` when missing: documents are signed and
# sealed, and say on every page that the signature and the seal are for demonstration only.
DEMO_DIR := var/demo
DEMO_ENV = DOCUMENT_SIGNING_PKCS12=$(abspath $(DEMO_DIR))/signing.p12 \
	DOCUMENT_SIGNING_PASSPHRASE="$$(cat $(DEMO_DIR)/signing.passphrase)" \
	DOCUMENT_SEAL_IMAGE=$(abspath $(DEMO_DIR))/seal.png \
	DOCUMENT_VERIFY_BASE_URL=http://$(HOST):$(PORT)
RUN_ENV = $(DEV_ENV) AUDIT_CHECKPOINT_KEY=$(AUDIT_KEY) $(DEMO_ENV)

.PHONY: run test test-redis test-browser install static system-deps lint format bench demo lock messages

run: install $(DEMO_DIR)/signing.p12 $(DEMO_DIR)/seal.png
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py createcachetable
	$(DEV_ENV) $(PY) manage.py make_audit_key $(AUDIT_KEY) --if-missing
	$(RUN_ENV) $(PY) manage.py loaddemo
	@echo "Documents are signed with a demo certificate and sealed with a demo seal ($(DEMO_DIR)/)."
	@echo "Serving on http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

$(DEMO_DIR)/signing.p12: | $(STAMP)
	@mkdir -p $(DEMO_DIR)
	@umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(18))" > $(DEMO_DIR)/signing.passphrase
	$(DEV_ENV) DOCUMENT_SIGNING_PASSPHRASE="$$(cat $(DEMO_DIR)/signing.passphrase)" \
		$(PY) manage.py make_demo_signing_cert $@ --force

$(DEMO_DIR)/seal.png: | $(STAMP)
	$(DEV_ENV) $(PY) manage.py make_demo_seal $@ --force

test: install
	$(VENV)/bin/pytest -n 2

# Tests that start a Celery worker against the local Redis (127.0.0.1:6379).
test-redis: install
	$(VENV)/bin/pytest -m redis

# The journeys of every role in headless Chromium, with axe-core's check on each page; the
# screenshots of each step go to test-results/screenshots/ (not committed).
test-browser: install $(NODE_STAMP)
	@scripts/system-deps.sh browser
	$(VENV)/bin/pytest -m browser

install: system-deps $(STAMP) $(NODE_STAMP) static

# The static files WhiteNoise serves in production (var/static, from the apps, static/ and the
# front-end packages of package.json).
static: $(STAMP) $(NODE_STAMP)
	$(DEV_ENV) $(PY) manage.py collectstatic --noinput -v 0

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# The npm packages, exactly as package-lock.json pins them: the charts' library (served from the
# static files) and axe-core (injected into the pages by the browser tests).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

system-deps:
	@scripts/system-deps.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy workflows approvals outcomes documents awards dashboard backoffice demo config accounts
	$(VENV)/bin/lint-imports
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/transitions.py
	$(PY) bench/policy.py
	$(PY) bench/render.py
	$(PY) bench/documents.py
	$(PY) bench/queues.py
	$(PY) bench/policy_django.py
	$(PY) bench/audit.py
	$(PY) bench/scaleout.py
	$(PY) bench/lists.py sqlite

demo: install $(DEMO_DIR)/signing.p12 $(DEMO_DIR)/seal.png
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py createcachetable
	$(DEV_ENV) $(PY) manage.py make_audit_key $(AUDIT_KEY) --if-missing
	$(RUN_ENV) $(PY) manage.py demo --out demo-out

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(VENV)/bin/pip freeze --exclude-editable > requirements.lock

# Refresh the English catalogue of the interface from the sources and compile both catalogues
# (needs gettext: apt-get install gettext). tests/test_languages.py checks the result.
messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l en --no-obsolete \
		--ignore=.venv --ignore=documents --ignore=bench --ignore=tests
	$(DEV_ENV) $(PY) manage.py compilemessages -l en --ignore=.venv
