"""What operations sees, through gunicorn (several worker processes) and a real Celery
worker: each flow moves its counter on /metrics, JSON log lines carry the request id the
response shows, the id travels into the task the request queued and the SMS it sends,
and the worker exports its task counts on CELERY_METRICS_PORT."""

import datetime as dt
import json
import time
import urllib.request

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.consent import consent_claim_set
from accounts.roles import Role
from cadres import codes as cadre_codes
from cadres.models import Cadre, Unit
from config.celery import app
from merchants.codes import counter_url
from points import campaigns, ledger
from points.services import adjustment_post, merchant_create
from tests.conftest import next_phone
from tests.gunicorn_server import Gunicorn
from tests.redis_server import free_port
from tests.workers import start_worker, stop_worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PHONE_DIGITS = "139"  # every phone of these tests starts +86139 (tests.conftest.next_phone)


def bearer(user) -> dict:
    """The header of a signed-in client: its token claims the notice it accepted."""
    refresh = RefreshToken.for_user(user)
    consent_claim_set(refresh, user=user)
    return {"Authorization": f"Bearer {refresh.access_token}"}


@pytest.fixture
def world(make_user):
    """A resident with 300 points, a cadre (with its user) and its badge, an open grab
    campaign, a merchant and its staff (each past the consent gate, as make_user's people
    are): committed, for gunicorn to see."""
    admin = make_user(Role.DISTRICT_ADMIN)
    unit = Unit.objects.create(name="Unit", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(
        unit=unit, name="王丽娜", title="科员", employee_number="E000001", active=True
    )
    cadre_user = make_user(Role.CADRE, cadre=cadre.pk)
    merchant = merchant_create(name="Shop", address="Kangbashi")
    resident = make_user()
    adjustment_post(
        account=ledger.resident_account(user=resident), amount=300, reason="grant", admin=admin
    )
    now = timezone.now()
    campaign = campaigns.campaign_create(
        title="Grab",
        starts_at=now - dt.timedelta(seconds=60),
        ends_at=now + dt.timedelta(hours=1),
        points_per_claim=20,
        claims=5,
        created_by=admin,
    )
    return {
        "resident": resident,
        "cadre": Cadre.objects.get(pk=cadre.pk),
        "cadre_user": cadre_user,
        "campaign": campaign,
        "merchant": merchant,
        "merchant_user": make_user(Role.MERCHANT, merchant=merchant.pk),
    }


def value(text: str, name: str, **labels) -> float:
    """The sum of the samples `name` whose labels include `labels`."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def scrape(server: Gunicorn) -> str:
    status, _, body = server.call("GET", "/metrics")
    assert status == 200
    return body.decode()


def json_lines(lines: list[str]) -> list[dict]:
    found = []
    for line in lines:
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_each_flow_moves_its_counter_across_gunicorn_workers(world, tmp_path):
    """Two gunicorn workers, multiprocess mode: a review created and one refused, a grab
    claimed and one refused, a payment and a refused one, a refund, a sign-in code's SMS,
    and the requests by view and status: each counter on /metrics moves by what was done,
    whichever worker answered."""
    server = Gunicorn(
        tmp_path,
        {
            "REDIS_URL": settings.REDIS_URL,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(tmp_path / "sms.jsonl"),
        },
    )
    try:
        before = scrape(server)
        resident, cadre = bearer(world["resident"]), world["cadre"]
        review = {"code": cadre_codes.badge_url(cadre), "rating": 5, "tags": [], "comment": "好"}
        path = f"/api/v1/cadres/{cadre.pk}/reviews"
        assert server.call("POST", path, review, resident)[0] == 201
        assert server.call("POST", path, review, resident)[0] == 409
        claim = f"/api/v1/points/campaigns/{world['campaign'].pk}/claim"
        assert server.call("POST", claim, None, resident)[0] == 201
        assert server.call("POST", claim, None, resident)[0] == 409
        code = counter_url(world["merchant"])
        status, _, paid = server.call(
            "POST", "/api/v1/points/payments", {"code": code, "amount_points": 50}, resident
        )
        assert status == 201, paid
        too_much = {"code": code, "amount_points": 100000}
        assert server.call("POST", "/api/v1/points/payments", too_much, resident)[0] == 409
        payment = json.loads(paid)["id"]
        status, _, refunded = server.call(
            "POST",
            f"/api/v1/merchant/payments/{payment}/refunds",
            {"amount_points": 10},
            bearer(world["merchant_user"]),
        )
        assert status == 201, refunded
        assert server.call("POST", "/api/v1/auth/otp", {"phone": next_phone()})[0] == 202
        for _ in range(12):
            assert server.call("GET", "/healthz")[0] == 200
        after = scrape(server)
    finally:
        server.stop()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("duoduo_reviews_total", outcome="created") == 1
    assert moved("duoduo_reviews_total", outcome="already_reviewed_today") == 1
    assert moved("duoduo_grab_claims_total", outcome="claimed") == 1
    assert moved("duoduo_grab_claims_total", outcome="already_claimed") == 1
    assert moved("duoduo_payments_total", outcome="paid") == 1
    assert moved("duoduo_payments_total", outcome="insufficient_points") == 1
    assert moved("duoduo_refunds_total", outcome="refunded") == 1
    assert moved("duoduo_points_spent_total", reason="payment") == 50
    assert moved("duoduo_points_issued_total", reason="payment_refund") == 10
    assert moved("duoduo_points_issued_total", reason="campaign_claim") == 20
    assert moved("duoduo_points_issued_total", reason="review_award") > 0
    assert moved("duoduo_sms_total", kind="code", outcome="queued") == 1
    assert moved("duoduo_sms_total", kind="code", outcome="sent") == 1
    assert moved("duoduo_http_requests_total", view="healthz", status="200") >= 12
    reviews = moved("duoduo_http_requests_total", view="cadre-reviews", method="POST")
    assert reviews == 2
    assert moved("duoduo_http_request_duration_seconds_count", view="cadre-reviews") == 2
    assert value(after, "duoduo_sms_outbox_oldest_pending_seconds") >= 0
    assert "duoduo_sms_outbox_oldest_pending_seconds" in after
    # Two processes wrote their counts: the files of both are there.
    assert len(list((tmp_path / "prometheus").glob("counter_*.db"))) >= 2


def test_json_log_lines_carry_the_request_id_the_response_shows(world, tmp_path):
    """LOG_FORMAT=json: one line per request with time, request_id, method, route,
    status, duration_ms and user_id, no phone; the id a client sent comes back in the
    header and the error body; an unsafe one is replaced by one made here."""
    server = Gunicorn(tmp_path, {"LOG_FORMAT": "json", "REDIS_URL": None, "SMS_BACKEND": "locmem"})
    try:
        resident = world["resident"]
        path = f"/api/v1/cadres/{world['cadre'].pk}/reviews"
        headers = {**bearer(resident), "X-Request-Id": "req-test.42"}
        status, response_headers, body = server.call("POST", path, {"rating": 9}, headers)
        assert status == 400
        assert response_headers["x-request-id"] == "req-test.42"
        assert json.loads(body)["request_id"] == "req-test.42"
        status, response_headers, _ = server.call(
            "GET", "/healthz", headers={"X-Request-Id": "bad id\\x"}
        )
        made = response_headers["x-request-id"]
        assert made != "bad id\\x" and len(made) == 32
        time.sleep(0.5)  # the log line is written after the response
        lines = json_lines(server.log_lines())
    finally:
        server.stop()
    mine = [line for line in lines if line.get("request_id") == "req-test.42"]
    request_line = next(line for line in mine if line["logger"] == "duoduo.request")
    assert request_line["method"] == "POST"
    assert request_line["route"] == "/api/v1/cadres/<id:pk>/reviews"
    assert request_line["status"] == 400
    assert request_line["user_id"] == resident.pk
    assert isinstance(request_line["duration_ms"], float)
    assert dt.datetime.fromisoformat(request_line["time"])
    assert any(line.get("request_id") == made for line in lines)
    assert resident.phone not in "\n".join(json.dumps(line) for line in lines)


def read_worker_metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
        return response.read().decode()


def test_the_request_id_travels_into_the_task_and_its_sms(world, tmp_path):
    """A bad review through gunicorn queues the cadre's SMS task; the real worker runs it
    (LOG_FORMAT=json): the task's line and the SMS's line carry the request's id, and
    the worker's CELERY_METRICS_PORT counts the run by task, with its duration."""
    metrics_port = free_port()
    worker_env = {
        "LOG_FORMAT": "json",
        "CELERY_METRICS_PORT": str(metrics_port),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(tmp_path / "sms.jsonl"),
        "NOTIFY_QUIET_START": "24",
        "NOTIFY_QUIET_END": "0",
    }
    worker = start_worker("celery", env=worker_env)
    server = Gunicorn(tmp_path, {"REDIS_URL": settings.REDIS_URL, **worker_env}, workers=1)
    try:
        review = {"code": cadre_codes.badge_url(world["cadre"]), "rating": 1, "tags": []}
        headers = {**bearer(world["resident"]), "X-Request-Id": "bad-review-1"}
        path = f"/api/v1/cadres/{world['cadre'].pk}/reviews"
        status, _, body = server.call("POST", path, {**review, "comment": "差"}, headers)
        assert status == 201, body
        for _ in range(150):
            if (tmp_path / "sms.jsonl").exists():
                break
            time.sleep(0.2)
        assert (tmp_path / "sms.jsonl").exists(), "the SMS was not sent"
        status, _, ready = server.call("GET", "/readyz")
        assert json.loads(ready)["celery"] == "ok"
        exported = read_worker_metrics(metrics_port)
        web = scrape(server)
    finally:
        server.stop()
        output = stop_worker(worker)
    task = "notifications.tasks.sms_send"
    assert value(exported, "duoduo_celery_task_runs_total", task=task, state="SUCCESS") == 1
    assert value(exported, "duoduo_celery_task_duration_seconds_count", task=task) == 1
    assert value(web, "duoduo_sms_total", kind="notification", outcome="queued") == 1
    assert value(exported, "duoduo_sms_total", kind="notification", outcome="sent") == 1
    lines = [line for line in json_lines(output.splitlines()) if line.get("task") == task]
    assert lines and lines[0]["request_id"] == "bad-review-1"
    assert lines[0]["state"] == "SUCCESS"
    sms_lines = [
        line
        for line in json_lines(output.splitlines())
        if line["logger"] == "notifications.delivery" and "SMS sent" in line["message"]
    ]
    assert sms_lines and sms_lines[0]["request_id"] == "bad-review-1"
    assert world["cadre_user"].phone not in output


def test_the_worker_counts_failures_by_task(tmp_path):
    """A task that fails on the worker: its failure and its run are counted."""
    metrics_port = free_port()
    queue = f"obs-{free_port()}"
    worker = start_worker(queue, env={"CELERY_METRICS_PORT": str(metrics_port)})
    try:
        result = app.send_task(
            "points.tasks.points_expiry_notify", args=["not-a-date"], queue=queue
        )
        with pytest.raises(ValueError):
            result.get(timeout=60)
        exported = read_worker_metrics(metrics_port)
    finally:
        stop_worker(worker)
    task = "points.tasks.points_expiry_notify"
    assert value(exported, "duoduo_celery_task_failures_total", task=task) == 1
    assert value(exported, "duoduo_celery_task_runs_total", task=task, state="FAILURE") == 1
