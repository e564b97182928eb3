"""The Idempotency-Key mechanism that every points-moving write uses (API.md, Conventions)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import OtpCode
from core.idempotency import idempotency_keys_purge
from core.models import IdempotencyRecord

URL = "/api/v1/test/write"
pytestmark = [pytest.mark.urls("tests.core.urls")]


@pytest.mark.django_db
def test_it_replays_the_first_response_and_writes_once(resident_api):
    """The same key and body return the first result and write nothing again."""
    first = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"rows": 1, "note": "a"}
    assert again["Idempotent-Replayed"] == "true"
    assert OtpCode.objects.count() == 1


@pytest.mark.django_db
def test_it_treats_key_order_in_json_as_the_same_body(resident_api):
    resident_api.post(URL, {"note": "a", "x": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = resident_api.generic(
        "POST",
        URL,
        '{"x": 1, "note": "a"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert again.status_code == 201
    assert OtpCode.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_the_same_key_with_another_body_with_422(resident_api):
    resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = resident_api.post(URL, {"note": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert OtpCode.objects.count() == 1


@pytest.mark.django_db
def test_it_keeps_keys_per_user(resident_api, client_for, other_resident):
    """Bob's key "k1" is not Alice's "k1"."""
    resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = client_for(other_resident).post(
        URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 201
    assert OtpCode.objects.count() == 2


@pytest.mark.django_db
def test_it_answers_409_while_the_first_request_runs(resident_api):
    first = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(key="k2").update(state=IdempotencyRecord.State.IN_PROGRESS)
    response = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"


@pytest.mark.django_db
def test_it_says_when_an_in_progress_key_may_be_taken_over(resident_api, settings):
    """A key whose first request died 20 s ago answers 409 with `retry_after` (body) and
    `Retry-After` (header): the seconds left of IDEMPOTENCY_STALE_AFTER (60 s), after
    which the retry takes the key over."""
    settings.IDEMPOTENCY_STALE_AFTER = timedelta(seconds=60)
    resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    IdempotencyRecord.objects.filter(key="k3").update(
        state=IdempotencyRecord.State.IN_PROGRESS, updated_at=timezone.now() - timedelta(seconds=20)
    )
    response = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "idempotency_key_in_progress"
    assert 39 <= body["retry_after"] <= 41
    assert response["Retry-After"] == str(body["retry_after"])


@pytest.mark.django_db
def test_it_lets_a_stale_in_progress_key_be_retried(resident_api):
    """A request that died mid-way does not block its key forever."""
    resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    OtpCode.objects.all().delete()
    IdempotencyRecord.objects.filter(key="k1").update(
        state=IdempotencyRecord.State.IN_PROGRESS, updated_at=timezone.now() - timedelta(minutes=5)
    )
    response = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201
    assert OtpCode.objects.count() == 1


@pytest.mark.django_db
def test_it_stores_a_refusal_as_the_final_answer(resident_api):
    """A business refusal (409) is replayed too, and nothing is written."""
    first = resident_api.post(URL, {"refuse": True}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = resident_api.post(URL, {"refuse": True}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 409
    assert again.json()["code"] == "sold_out"
    assert OtpCode.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "bad\x01key"])
def test_it_refuses_a_malformed_key(resident_api, key):
    response = resident_api.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert OtpCode.objects.count() == 0


@pytest.mark.django_db
def test_it_purges_keys_older_than_their_time_to_live(resident, settings):
    old = IdempotencyRecord.objects.create(user=resident, key="old", fingerprint="f", state="done")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=49)
    )
    IdempotencyRecord.objects.create(user=resident, key="new", fingerprint="f", state="done")
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_writes_once_when_the_same_key_arrives_ten_times_at_once(client_for, make_user):
    """10 threads, one key: exactly one write; the others replay it or are told to wait."""
    user = make_user()
    barrier = threading.Barrier(10)
    statuses = []

    def send():
        client = client_for(user)
        barrier.wait()
        try:
            response = client.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
            statuses.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert OtpCode.objects.count() == 1
    assert len(statuses) == 10
    assert all(s == (201, None) or s == (409, "idempotency_key_in_progress") for s in statuses), (
        statuses
    )
    assert (201, None) in statuses
