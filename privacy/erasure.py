"""Anonymising an account whose cooling-off ended (docs/privacy.md).

Every app declares, in its `registrations.py`, the personal columns of its models as
`PERSONAL_DATA = {"app.Model": (lookup, erase)}`: `lookup` leads from the model to the
user (`"vendor"`, `"registration__vendor"`) or, ending in `phone`, to the user's phone;
`erase` is {column: value} to overwrite, or None to delete the rows. Files of a file
column are deleted from storage before the column is emptied. The user row itself is
done here, with the rows below every app that hold the person (sessions' tokens, stored
answers, form submissions, the admin's log of the account).
"""

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from core import audit
from core.models import FormSubmission, IdempotencyRecord
from core.registrations import declared


def personal_data() -> list[tuple[type[models.Model], str, dict | None]]:
    """(model, lookup, erase) of every app's declaration."""
    return [
        (apps.get_model(label), lookup, erase)
        for label, (lookup, erase) in declared("PERSONAL_DATA")
    ]


def _erase(queryset: models.QuerySet, erase: dict | None) -> None:
    if erase is None:
        queryset.delete()
        return
    for name in erase:
        field = queryset.model._meta.get_field(name)
        if isinstance(field, models.FileField):
            for stored in queryset.exclude(**{name: ""}).values_list(name, flat=True):
                field.storage.delete(stored)
    queryset.update(**erase)


@transaction.atomic
def anonymise(*, user: User) -> None:
    """Erase the person from every declared column; the ledger, the counts and the
    published months stay, under an account with no phone and no name."""
    phone = user.phone
    for model, lookup, erase in personal_data():
        value = phone if lookup.endswith("phone") else user
        _erase(model._default_manager.filter(**{lookup: value}), erase)
    IdempotencyRecord.objects.filter(user=user).delete()
    FormSubmission.objects.filter(user=user).delete()
    OutstandingToken.objects.filter(user=user).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr="", change_message="")
    user.groups.clear()
    user.phone = f"deleted-{user.pk}"
    user.display_name = ""
    user.is_active = False
    user.is_staff = False
    user.consent_version = user.id_consent_version = ""
    user.deletion_due_at = None
    user.anonymised_at = timezone.now()
    user.set_unusable_password()
    user.save()
    audit.record(None, "account.anonymise", user, subject=user)
