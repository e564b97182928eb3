"""GET /metrics: Prometheus text, for loopback and the allowed networks only; counters
kept in the process, gauges registered in one line and read at scrape time. (The flows
counted through gunicorn and the worker: tests/core/test_observability.py.)"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.exceptions import ValidationError

from core import metrics
from core.errors import Invalid, NotFound
from notifications import delivery
from notifications.models import Notification

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def scrape(remote="127.0.0.1", **headers):
    return Client(REMOTE_ADDR=remote).get("/metrics", **headers)


def families_of(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def families(response) -> dict:
    return families_of(response.content.decode())


@pytest.fixture
def registered():
    """Names registered by a test, unregistered after it."""
    names = []
    yield names
    for name in names:
        metrics.unregister(name)


# What a process that has refused no admin sign-in yet serves: the counters live as
# long as their process, and this test process may have counted refusals already.
FRESH_PROCESS = (
    "import django; django.setup(); from django.urls import get_resolver; "
    "get_resolver().url_patterns; from core import metrics; "
    "print(metrics.exposition(with_samples=False).decode())"
)


def refused_by_limit(text: str) -> dict[str, float]:
    refused = families_of(text)["duoduo_admin_login_refused"]
    assert refused.type == "counter"
    return {
        s.labels["limit"]: s.value
        for s in refused.samples
        if s.name == "duoduo_admin_login_refused_total"
    }


def test_it_answers_loopback_in_the_prometheus_format():
    """From 127.0.0.1 (and ::1): 200, Prometheus' content type, the admin sign-in
    refusals by limit (0 until one happens: a fresh process shows each at 0)."""
    for remote in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        response = scrape(remote)
        assert response.status_code == 200, remote
        assert response["Content-Type"].startswith("text/plain; version=")
        assert set(refused_by_limit(response.content.decode())) == {"pair", "phone", "address"}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert refused_by_limit(fresh.stdout) == {"pair": 0, "phone": 0, "address": 0}


def test_it_is_404_for_any_other_address():
    """Another address gets the site's 404, not the metrics."""
    response = scrape("203.0.113.9")
    assert response.status_code == 404
    assert b"duoduo_" not in response.content


def test_it_answers_the_allowed_networks(settings):
    """METRICS_ALLOWED_NETWORKS opens /metrics to those networks only."""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16", "2001:db8::/32"]
    assert scrape("10.20.3.4").status_code == 200
    assert scrape("2001:db8::5").status_code == 200
    assert scrape("10.21.3.4").status_code == 404


def test_it_believes_forwarded_addresses_only_as_num_proxies_says(settings):
    """Without proxies a client-made X-Forwarded-For never opens it, and a request that
    carries one is refused even from loopback (a proxy on this host that NUM_PROXIES
    does not count would make every outside client look local). Behind one proxy the
    address is the one that proxy saw."""
    assert scrape("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert scrape("203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    settings.NUM_PROXIES = 1
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    forged = scrape("10.0.0.2", HTTP_X_FORWARDED_FOR="10.20.0.1, 203.0.113.9")
    assert forged.status_code == 404
    assert scrape("10.0.0.2", HTTP_X_FORWARDED_FOR="10.20.0.7").status_code == 200
    assert scrape("10.0.0.2", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 404


def test_it_reads_registered_samples_at_scrape_time(registered):
    """A gauge registered in one line is read at each scrape, with or without labels;
    a sample that fails is left out while the others are served."""
    box = {"value": 3}
    metrics.register_gauge("duoduo_test_plain", "A plain gauge.", lambda: box["value"])
    metrics.register_gauge(
        "duoduo_test_labelled",
        "A labelled gauge.",
        lambda: {("a", "x"): 1, ("b", "y"): 2},
        labels=("first", "second"),
    )
    metrics.register_gauge("duoduo_test_broken", "Fails.", lambda: 1 / 0)
    registered += ["duoduo_test_plain", "duoduo_test_labelled", "duoduo_test_broken"]

    found = families(scrape())
    assert found["duoduo_test_plain"].samples[0].value == 3
    assert {
        (s.labels["first"], s.labels["second"]): s.value
        for s in found["duoduo_test_labelled"].samples
    } == {("a", "x"): 1, ("b", "y"): 2}
    assert "duoduo_test_broken" not in found
    assert "duoduo_admin_login_refused" in found
    box["value"] = 7
    assert families(scrape())["duoduo_test_plain"].samples[0].value == 7


def test_a_view_counts_its_outcomes_without_a_query(django_assert_num_queries):
    """`counts_outcomes`: "done" when the method returns, the error code it is refused
    with otherwise; no SQL statement for it."""
    counter = metrics.counter("duoduo_test_outcomes", "Test.", ("outcome",))
    try:

        @metrics.counts_outcomes(counter, done="made")
        def view(fail=None):
            if fail is not None:
                raise fail
            return "response"

        with django_assert_num_queries(0):
            assert view() == "response"
            for error in (Invalid(), NotFound(), ValidationError("no"), RuntimeError("x")):
                with pytest.raises(type(error)):
                    view(fail=error)
        text = metrics.exposition(with_samples=False).decode()
        counted = {
            s.labels["outcome"]: s.value
            for s in families_of(text)["duoduo_test_outcomes"].samples
            if s.name == "duoduo_test_outcomes_total"
        }
        assert counted == {"made": 1, "invalid": 2, "not_found": 1, "error": 1}
    finally:
        metrics.live.unregister(counter)


def test_the_sms_outbox_age_is_the_oldest_due_pending_sms(resident, settings):
    """duoduo_sms_outbox_oldest_pending_seconds: 0 with nothing waiting; then the age of
    the oldest SMS due and still pending (one held by the quiet hours is not due)."""
    settings.NOTIFY_QUIET_START, settings.NOTIFY_QUIET_END = 24, 0
    assert families(scrape())["duoduo_sms_outbox_oldest_pending_seconds"].samples[0].value == 0
    ten_minutes_ago = timezone.now() - dt.timedelta(minutes=10)
    pk, due = delivery.notification_insert(
        user_id=resident.pk,
        kind="moral_claim_approved",
        key="1",
        params={"category": "好人好事", "points": 30},
        link="/api/v1/points/moral/claims",
        now=ten_minutes_ago,
    )
    assert due
    age = families(scrape())["duoduo_sms_outbox_oldest_pending_seconds"].samples[0].value
    assert age >= 600
    Notification.objects.filter(pk=pk).update(sms_status=Notification.Sms.SENT)
    assert families(scrape())["duoduo_sms_outbox_oldest_pending_seconds"].samples[0].value == 0
