"""Shared fixtures. Named people: `resident` (alice), `other_resident` (bob), and
`make_user` for anyone with roles; `client_for(user)` is an API client signed in as them.

Every test runs on PostgreSQL: DATABASE_URL's, or without it the embedded server in
.pgdata/ (config/embedded_db.py). `@pytest.mark.postgres` only labels a test of
PostgreSQL's own behaviour (row locks, triggers, concurrent sessions). Tests that need
Redis carry `@pytest.mark.redis` and skip, saying so, only when REDIS_URL is unset; every
test starts from an empty Redis database (REDIS_URL's is flushed).
"""

import itertools
import os
import shutil
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.consent import consent_claim_set
from accounts.models import User
from accounts.services import role_grant, user_get_or_create
from accounts.sms import LocmemBackend
from config.celery import app as celery_app
from core import ratelimit

# `own_redis`, `doomed_redis`: a redis-server a test starts on a free port and may kill;
# `own_postgres`: a PostgreSQL cluster a module starts on a free port and may stop, start
# and restart. Not imported here: pytest rewrites a plugin's asserts only if it imports it.
pytest_plugins = ["tests.redis_server", "tests.postgres_server"]

CHROMIUM = "/usr/bin/chromium"

_phones = itertools.count(1)


def next_phone() -> str:
    """A fresh valid mainland mobile number for each call (+86 139 xxxx xxxx)."""
    return f"+86139{next(_phones) + os.getpid() % 1000 * 100000:08d}"


def pytest_collection_modifyitems(config, items):
    skip_redis = pytest.mark.skip(reason="needs Redis: REDIS_URL is unset (redis://...)")
    skip_browser = pytest.mark.skip(
        reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)
        if "browser" in item.keywords and not shutil.which(CHROMIUM):
            item.add_marker(skip_browser)


def redis_flush() -> None:
    """Empty REDIS_URL's database (cache, throttles, the grab gate, Celery's queues): its
    state survives the rollback of the test database. Also between hypothesis examples
    that touch Redis."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            client.flushdb()
        finally:
            client.close()


@pytest.fixture(autouse=True, scope="session")
def _static_root():
    """WhiteNoise warns at each new request handler when STATIC_ROOT is missing (a checkout
    never ran collectstatic); the tests serve no collected file, so an empty folder does."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


# Sessions on the test database other than this process's own.
_OTHER_SESSIONS_END_SQL = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture(autouse=True, scope="session")
def _no_session_left_at_the_end(django_db_setup, django_db_blocker):
    """The fault tests kill Celery workers and servers mid-task, and a killed client's
    session can outlive it for a while; DROP DATABASE refuses while one is open (and
    pytest-django's warning of it is an error here). Torn down before django_db_setup,
    this ends them just before the test database is dropped."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(_OTHER_SESSIONS_END_SQL)


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Each test starts with an empty cache, Redis (throttles, gates) and SMS outbox."""
    settings.SMS_BACKEND = "locmem"
    redis_flush()
    cache.clear()
    ratelimit.reset()
    LocmemBackend.outbox.clear()
    eager = celery_app.conf.task_always_eager
    yield
    LocmemBackend.outbox.clear()
    # A test that switches Celery's eager mode puts it back: a leak makes every later
    # real-worker test send its tasks in the wrong mode.
    assert celery_app.conf.task_always_eager == eager, "Celery's eager mode leaked"


@pytest.fixture
def broker_tasks():
    """Tasks sent to a real worker (tests.workers.start_worker) through the broker, not run
    in this process (Celery warns that send_task ignores the eager setting). The setting
    is put back as it was: eager without Redis, not with it."""
    # The app reads Django's settings under the CELERY_ namespace: set it by that name.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False)
    yield
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=eager)


@pytest.fixture
def make_user(db):
    """`consent=False` for someone who has not accepted the privacy notice (the gate's
    tests); everyone else has accepted the current one and the ID-number consent."""

    def make(*roles, phone=None, display_name="", consent=True, **links):
        phone = phone or next_phone()
        user = user_get_or_create(phone=phone, display_name=display_name)
        for role in roles:
            user = role_grant(phone=phone, role=role, links=links or None)
        if consent:
            version = settings.PRIVACY_NOTICE_VERSION
            User.objects.filter(pk=user.pk).update(
                consent_version=version, id_consent_version=version
            )
            user.consent_version = user.id_consent_version = version
        return user

    return make


@pytest.fixture
def resident(make_user):
    return make_user(display_name="Alice")


@pytest.fixture
def other_resident(make_user):
    return make_user(display_name="Bob")


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        refresh = RefreshToken.for_user(user)
        consent_claim_set(refresh, user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
        return client

    return make


@pytest.fixture
def resident_api(client_for, resident):
    return client_for(resident)


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A Chromium page (Debian's, headless) in Chinese, for tests against `live_server`."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes around it are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
