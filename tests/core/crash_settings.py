"""The project's settings with a URL that fails on purpose (tests/core/crash_urls.py),
for the error-report test's gunicorn. Never a production module."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.core.crash_urls"
