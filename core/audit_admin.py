"""The audit trail in the admin: read-only for everyone, for auditors and district
administrators (accounts/registrations.py), filtered by actor, object, action and date.
Registered by CoreConfig.ready() (core.admin loads before the models)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin import ModelAdmin, ReadOnlyAdminMixin
from .models import AuditEvent

READ_FIELDS: list[str] = [
    "created_at",
    "action",
    "object_type",
    "object_id",
    "actor_id",
    "actor_role",
    "actor_unit",
    "subject_id",
    "summary",
    "purpose",
    "request_id",
    "address_hash",
]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    # Ids of the people, not their names or phones: the subject is a resident.
    list_display = [
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_id",
        "actor_role",
        "actor_unit",
        "subject_id",
        "purpose",
        "request_id",
    ]
    list_filter = [
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
        "object_type",
        "actor_role",
        "created_at",
    ]
    # "=42" finds object 42 (or request 42); filter ?actor=ID, ?subject=ID, ?object_id=ID.
    search_fields = ["=object_id", "=request_id"]
    search_help_text = _("An object's id or a request id, exactly.")
    date_hierarchy = "created_at"
    show_full_result_count = False
    # Ids, never the people's names or phones (a user's name is their phone or name).
    fields = tuple(READ_FIELDS)
    readonly_fields = READ_FIELDS

    def lookup_allowed(self, lookup, value, request=None):
        # The trail of one actor, one resident or one object, linked from elsewhere.
        if lookup in {"actor", "subject", "object_id", "object_type"}:
            return True
        return super().lookup_allowed(lookup, value, request)
