"""A copy of one's data (issue 24, item 2): every relation to the user is exported or
set aside with a reason; a real worker builds the ZIP; the link is private and expires."""

import datetime as dt
import io
import json
import os
import zipfile

import pytest
from django.utils import timezone

from privacy import export
from privacy.models import Export
from privacy.retention import personal_data_purge

from .conftest import last_code


def test_every_relation_to_the_user_is_exported_or_set_aside_with_a_reason(pearl):
    """A new foreign key to the user fails here until the export covers it or
    NOT_ABOUT_THE_PERSON says why not."""
    files = export.files_of(user=pearl)
    missing = []
    for model, field in export.user_relations():
        key = export.relation_key(model, field)
        if key in export.NOT_ABOUT_THE_PERSON:
            assert export.NOT_ABOUT_THE_PERSON[key].strip(), key
            continue
        name = f"{model._meta.app_label}/{model._meta.model_name}.{field.name}.json"
        if name not in files:
            missing.append(key)
    assert missing == []
    known = {export.relation_key(m, f) for m, f in export.user_relations()}
    assert set(export.NOT_ABOUT_THE_PERSON) <= known  # no stale reasons


def _zip(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _contains(files, name, key, value) -> bool:
    return any(row.get(key) == value for row in json.loads(files[name]))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_zip_with_each_kind_of_data(
    pearl, pearls_life, client_for, fresh_code, api, tmp_path, settings, broker_tasks
):
    from config.celery import app
    from tests.workers import start_worker, stop_worker

    settings.EXPORT_ROOT = tmp_path / "exports"
    code = fresh_code(pearl, "export")
    client = client_for(pearl)
    # The request queues the build on the default queue (no worker there): the test's own
    # worker builds it from the test's queue.
    asked = client.post("/api/v1/me/export", {"code": code}, format="json")
    assert asked.status_code == 202, asked.json()
    assert asked.json()["state"] == "pending" and asked.json()["url"] is None
    row = Export.objects.get(user=pearl)
    queue = f"test-export-{os.getpid()}"
    worker = start_worker(queue, env={"EXPORT_ROOT": str(settings.EXPORT_ROOT)})
    try:
        app.send_task("privacy.tasks.export_build", args=[row.pk], queue=queue).get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    state = client.get("/api/v1/me/export").json()
    assert state["state"] == "ready", output
    assert state["url"].endswith(f"/api/v1/me/export/{row.token}.zip")
    download = api.get(f"/api/v1/me/export/{row.token}.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    files = _zip(download.content)
    life = pearls_life
    assert json.loads(files["profile.json"])["phone"] == pearl.phone
    assert _contains(files, "cadres/review.reviewer.json", "id", life["review"].pk)
    assert "device_hash" not in json.loads(files["cadres/review.reviewer.json"])[0]
    assert _contains(files, "merchants/payment.resident.json", "id", life["payment"].pk)
    assert _contains(files, "points/moralclaim.resident.json", "id", life["claim"].pk)
    assert _contains(files, "stalls/registration.vendor.json", "id", life["registration"].pk)
    assert json.loads(files["stalls/id_numbers.json"])[0]["id_number"]
    ledger_csv = files["points/ledger_entries.csv"].decode("utf-8-sig").splitlines()
    assert len(ledger_csv) >= 3  # a header, the grant, the payment
    assert "accounts/consent.user.json" in files
    trail = json.loads(files["core/auditevent.subject.json"])
    # The administrator's grant of her points, and her own request of this copy.
    assert {"ledger.adjust", "privacy.export"} <= {event["action"] for event in trail}
    assert "actor" not in trail[0] and "address_hash" not in trail[0]
    assert "notifications/notification.user.json" in files
    # After EXPORT_VALID_HOURS the link is gone, and so is the file.
    later = timezone.now() + dt.timedelta(hours=settings.EXPORT_VALID_HOURS, seconds=1)
    assert personal_data_purge(now=later)["exports"] == 1
    assert api.get(f"/api/v1/me/export/{row.token}.zip").status_code == 404
    assert not export.export_file(row).exists()


def test_an_unknown_token_or_a_pending_export_is_404(pearl, api):
    row = Export.objects.create(user=pearl, token="t" * 43)
    assert api.get(f"/api/v1/me/export/{row.token}.zip").status_code == 404
    assert api.get("/api/v1/me/export/nothing-here.zip").status_code == 404


def test_no_export_without_a_fresh_export_code(pearl, client_for, fresh_code):
    fresh_code(pearl, "delete")
    refused = client_for(pearl).post(
        "/api/v1/me/export", {"code": last_code(pearl.phone)}, format="json"
    )
    assert refused.status_code == 400
    assert not Export.objects.filter(user=pearl).exists()
