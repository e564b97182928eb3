# The two commands of the README: `make run` and `make test`. Everything else is optional.
# Without DATABASE_URL both run on the embedded PostgreSQL in .pgdata/ (docs/database.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Every dependency is pinned with its hashes in uv.lock (`make lock` updates it); both
# commands install from it with uv, taken from PyPI into .uv/, and nothing else: no
# resolution at install time, no download of a Python (the machine's python3 is used).
UV_VERSION := 0.13.9
UV_DIR := .uv
UV := $(UV_DIR)/bin/uv
UV_ENV := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never UV_PYTHON=$(PYTHON)

# Local development and tests: an insecure key and plain HTTP, never in production.
DEV_ENV := DEBUG=1
TEST_ENV := SECRET_KEY=test-only-insecure-key-0123456789abcdef SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0

.PHONY: run test lint lock wheel messages compilemessages migrate serve bench-grab bench-rankings bench-sites bench-review bench-leaderboard bench-broadcast bench-corrections clean backup-drill bench-payments bench-badge bench-nights bench-district-day

$(UV):
	$(PYTHON) -m venv $(UV_DIR)
	$(UV_DIR)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# --inexact: `make run` after `make test` keeps the test tools.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_ENV) $(UV) sync --frozen --inexact
	touch $@

$(TEST_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_ENV) $(UV) sync --frozen --extra test
	touch $@ $(STAMP)

# After a change of pyproject.toml's dependencies (LOCK_ARGS=--upgrade moves every pin to
# the newest release the ranges allow).
lock: | $(UV)
	$(UV_ENV) $(UV) lock $(LOCK_ARGS)

# The artifact: dist/duoduo-<version>-py3-none-any.whl with every app, its templates,
# static files and compiled translations (docs/operations.md, "The artifact").
wheel: $(STAMP) compilemessages
	rm -rf dist build
	$(UV_ENV) $(UV) build --wheel --out-dir dist

# axe-core for the accessibility browser test (tests/browser/test_accessibility.py), from
# npm at the version package-lock.json pins; no browser is downloaded (Debian's chromium).
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser/axe --no-audit --no-fund && touch $@; \
	else echo "npm is missing (apt-get install npm): the accessibility browser test will fail"; fi

compilemessages: | $(STAMP)
	$(PY) -m core.compile_messages

run: $(STAMP) compilemessages
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py ensure_admin
	@echo "API docs: http://127.0.0.1:8000/api/docs/   Leaderboard: http://127.0.0.1:8000/leaderboard/"
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Style, Django 5.2's idioms (django-upgrade fails when it rewrites a file), the README's
# layers, the types; .pre-commit-config.yaml runs the same commands (tests/core/test_lint_config.py).
# No database, no network: mypy's Django plugin imports the settings, which without a
# DATABASE_URL would start the embedded PostgreSQL, and mypy exits (os._exit) without
# stopping it. The plugin never connects: this URL names nothing.
MYPY_ENV := SECRET_KEY=lint-only-settings-import DATABASE_URL=postgres://lint@127.0.0.1:9/mypy-never-connects

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	git ls-files -z '*.py' ':(exclude)*/migrations/*' | xargs -0 $(VENV)/bin/django-upgrade --target-version 5.2
	$(VENV)/bin/lint-imports
	env $(MYPY_ENV) $(VENV)/bin/mypy

test: $(TEST_STAMP) compilemessages $(AXE) lint
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Extract new strings into each app's zh_Hans catalogue (needs GNU gettext's xgettext).
messages: | $(STAMP)
	for app in core accounts notifications points merchants cadres moderation rankings stalls opendata livestream desk privacy; do \
	  (cd $$app && $(DEV_ENV) ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --no-location); done

bench-grab: $(TEST_STAMP)
	$(PY) bench/grab.py

bench-rankings: $(TEST_STAMP)
	$(PY) bench/rankings.py

bench-sites: $(TEST_STAMP)
	$(PY) bench/sites.py

bench-review: $(TEST_STAMP)
	$(PY) bench/review.py

bench-payments: $(TEST_STAMP)
	$(PY) bench/payments.py

bench-badge: $(TEST_STAMP)
	$(PY) bench/badge.py

bench-nights: $(TEST_STAMP)
	$(PY) bench/nights.py

bench-district-day: $(TEST_STAMP)
	$(PY) bench/district_day.py

bench-broadcast: $(TEST_STAMP)
	$(PY) bench/notifications_broadcast.py

bench-leaderboard: $(TEST_STAMP)
	$(PY) bench/leaderboard.py

bench-corrections: $(TEST_STAMP)
	$(PY) bench/corrections.py

# A base backup and archived WAL restored to a point in time on clusters of its own
# (Debian's PostgreSQL 15 programs, never the system cluster); one summary line, exit 1 on
# any difference (docs/backup.md).
backup-drill: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PY) ops/backup_drill.py

# Stops the embedded PostgreSQL (if it runs) before removing its folder.
clean:
	if [ -d .pgdata ] && [ -x $(PY) ]; then $(PY) -m config.embedded_db stop; fi
	rm -rf $(VENV) $(UV_DIR) .pgdata staticfiles dist
