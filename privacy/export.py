"""The copy of a person's data (docs/privacy.md): a ZIP of JSON files, and CSV where
the data is a table (the ledger's entries).

Every model with a foreign key (or one-to-one, or many-to-many) to the user is walked
(`user_relations`): its rows about the person go into `<app>/<model>.<field>.json`,
unless the key is in NOT_ABOUT_THE_PERSON with the reason why (what staff did to others'
cases, secrets). tests/privacy/test_export.py fails when a new key is neither.
Hashes, encrypted values, passwords and tokens are left out of every row. The trail of
who read or changed the person's data is `core/auditevent.subject.json` (core.AuditEvent,
the actor's role and unit, not their id).
"""

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_roles
from merchants.models import PaymentRefund
from moderation.models import Appeal
from points.models import Entry, Lot
from stalls.idcard import decrypt_id_number
from stalls.models import Registration, Stall

from .models import Export

_STAFF_ACT = "what the person did as staff on others' cases (the audit trail holds it)"
NOT_ABOUT_THE_PERSON = {
    "admin.LogEntry.user": _STAFF_ACT,
    "core.AuditEvent.actor": _STAFF_ACT,
    "token_blacklist.OutstandingToken.user": "sign-in tokens: secrets, not data",
    "core.IdempotencyRecord.user": "stored answers kept 48 hours to replay a request",
    "core.FormSubmission.user": "one-time form nonces of the pages",
    "accounts.Consent.recorded_by": _STAFF_ACT,
    "privacy.Export.user": "the exports themselves",
    "notifications.Broadcast.created_by": _STAFF_ACT,
    "points.LedgerTransaction.created_by": _STAFF_ACT,
    "points.Campaign.created_by": _STAFF_ACT,
    "points.Merchant.users": "the merchant's staff: the merchant's data",
    "points.Redemption.used_by": _STAFF_ACT,
    "points.MoralClaim.filed_by": _STAFF_ACT,
    "points.MoralClaim.decided_by": _STAFF_ACT,
    "points.MoralClaim.revoked_by": _STAFF_ACT,
    "merchants.MerchantCode.code_rotated_by": _STAFF_ACT,
    "merchants.PaymentRequest.created_by": _STAFF_ACT,
    "merchants.PaymentRefund.created_by": _STAFF_ACT,
    "merchants.Statement.confirmed_by": _STAFF_ACT,
    "merchants.Statement.paid_by": _STAFF_ACT,
    "cadres.Cadre.code_rotated_by": _STAFF_ACT,
    "cadres.Review.responder": _STAFF_ACT,
    "cadres.ServiceTicket.issued_by": _STAFF_ACT,
    "moderation.ReviewFlag.decided_by": _STAFF_ACT,
    "moderation.Appeal.decided_by": _STAFF_ACT,
    "rankings.BottomWarning.changed_by": _STAFF_ACT,
    "stalls.Site.code_rotated_by": _STAFF_ACT,
    "stalls.Registration.filed_by": _STAFF_ACT,
    "stalls.Registration.decided_by": _STAFF_ACT,
    "stalls.StallStatusChange.actor": _STAFF_ACT,
    "stalls.StallRenewal.renewed_by": _STAFF_ACT,
    "stalls.StallAppeal.decided_by": _STAFF_ACT,
    "stalls.Inspection.officer": _STAFF_ACT,
    "stalls.StallReport.closed_by": _STAFF_ACT,
    "livestream.Session.planned_by": _STAFF_ACT,
    "livestream.Session.outcome_recorded_by": _STAFF_ACT,
    "livestream.Income.recorded_by": _STAFF_ACT,
    "livestream.Transfer.recorded_by": _STAFF_ACT,
    "livestream.Transfer.decided_by": _STAFF_ACT,
    "desk.DeskSession.agent": _STAFF_ACT,
    "desk.AssistedAct.agent": _STAFF_ACT,
    "desk.AgentFlag.agent": _STAFF_ACT,
}

# Columns never copied: secrets and keyed hashes that mean nothing to the person, and
# who the staff member was (the trail shows their role and unit, as /me/data-access).
_LEFT_OUT = ("password", "token", "jti", "code_hash", "id_number_hash")
_LEFT_OUT_NAMES = {"actor"}


def user_relations() -> list[tuple[type[models.Model], models.Field]]:
    """Every concrete relation to the user model, of every installed concrete model."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.Field)
                and field.is_relation
                and field.concrete
                and field.related_model is user_model
            ):
                found.append((model, field))
    return found


def relation_key(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


def _rows(queryset) -> list[dict]:
    model = queryset.model
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if not any(part in field.name for part in _LEFT_OUT)
        and not field.name.endswith("_hash")
        and not field.name.endswith("_encrypted")
    ]
    return list(queryset.values(*names))


def _json(rows) -> bytes:
    return json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def files_of(*, user: User) -> dict[str, bytes]:
    """The export's files by name."""
    profile = {
        "id": user.pk,
        "phone": user.phone,
        "display_name": user.display_name,
        "date_joined": user.date_joined,
        "phone_verified_at": user.phone_verified_at,
        "roles": user_roles(user=user),
        "privacy_notice_accepted": user.consent_version,
        "id_number_consent": user.id_consent_version,
    }
    files = {"profile.json": _json(profile)}
    for model, field in user_relations():
        if relation_key(model, field) in NOT_ABOUT_THE_PERSON:
            continue
        rows = _rows(model._default_manager.filter(**{field.name: user}).order_by("pk"))
        files[f"{model._meta.app_label}/{model._meta.model_name}.{field.name}.json"] = _json(rows)
    entries = _rows(Entry.objects.filter(account__owner=user).order_by("pk"))
    files["points/ledger_entries.csv"] = _csv(entries)
    files["points/ledger_entries.json"] = _json(entries)
    files["points/lots.json"] = _json(_rows(Lot.objects.filter(account__owner=user)))
    files["merchants/refunds.json"] = _json(
        _rows(PaymentRefund.objects.filter(payment__resident=user))
    )
    files["moderation/appeals_on_my_reviews.json"] = _json(
        _rows(Appeal.objects.filter(review__reviewer=user))
    )
    files["stalls/stalls.json"] = _json(_rows(Stall.objects.filter(registration__vendor=user)))
    files["stalls/id_numbers.json"] = _json(
        [
            {"registration": pk, "id_number": decrypt_id_number(token)}
            for pk, token in Registration.objects.filter(vendor=user)
            .exclude(id_number_encrypted="")
            .values_list("pk", "id_number_encrypted")
        ]
    )
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def export_file(export_row: Export) -> Path:
    """Where an export's ZIP lives: EXPORT_ROOT, outside the web root and MEDIA."""
    return Path(settings.EXPORT_ROOT) / f"{export_row.token}.zip"


def export_build(*, export_id: int) -> None:
    """Write the ZIP of everything about the person; the link is valid EXPORT_VALID_HOURS.
    Safe to run twice (a ready export is left alone)."""
    row = Export.objects.select_related("user").filter(pk=export_id).first()
    if row is None or row.state != Export.State.PENDING:
        return
    content = zip_bytes(files_of(user=row.user))
    path = export_file(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)
    now = timezone.now()
    Export.objects.filter(pk=row.pk, state=Export.State.PENDING).update(
        state=Export.State.READY,
        ready_at=now,
        expires_at=now + timedelta(hours=settings.EXPORT_VALID_HOURS),
    )
