# The two commands of the README: `make run` and `make test`. Everything else is optional.
# Without DATABASE_URL both run on the embedded PostgreSQL in .pgdata/ (docs/database.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# Local development and tests: an insecure key and plain HTTP, never in production.
DEV_ENV := DEBUG=1
TEST_ENV := SECRET_KEY=test-only-insecure-key-0123456789abcdef SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0

.PHONY: run test lint messages compilemessages migrate serve bench-grab bench-rankings bench-sites bench-review bench-leaderboard bench-broadcast bench-corrections bench-payments bench-badge bench-nights bench-district-day clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP)

compilemessages: | $(PY)
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

test: $(TEST_STAMP) compilemessages lint
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Extract new strings into each app's zh_Hans catalogue (needs GNU gettext's xgettext).
messages: | $(PY)
	for app in core accounts notifications points merchants cadres moderation rankings stalls opendata livestream desk; do \
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

# Stops the embedded PostgreSQL (if it runs) before removing its folder.
clean:
	if [ -d .pgdata ] && [ -x $(PY) ]; then $(PY) -m config.embedded_db stop; fi
	rm -rf $(VENV) .pgdata staticfiles
