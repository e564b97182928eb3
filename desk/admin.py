"""The service desk in the admin: sessions and assisted acts, read-only (the log is
written only by desk.services; district_admin may view it)."""

from django.contrib import admin

from accounts.admin_audit import PersonalDataViewAuditMixin
from core.admin import ModelAdmin, ReadOnlyAdminMixin

from .models import AgentFlag, AssistedAct, DeskSession


@admin.register(DeskSession)
class DeskSessionAdmin(PersonalDataViewAuditMixin, ReadOnlyAdminMixin, ModelAdmin):
    # The session's page shows the resident's phone in full: its opening is audited.
    audit_view_action = "desk_session.view"
    list_display = ["id", "created_at", "agent", "resident", "centre", "method", "confirmed_at"]
    list_filter = ["method", "created_at"]
    search_fields = ["agent__phone", "resident__phone", "centre"]
    list_select_related = ["agent", "resident"]
    # Never the ID number itself: only its keyed hash and last 4 characters exist.
    exclude = ["id_number_hash"]
    date_hierarchy = "created_at"

    def audit_subject(self, session):
        return session.resident_id


@admin.register(AssistedAct)
class AssistedActAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["id", "created_at", "agent", "resident", "kind", "object_id", "session"]
    list_filter = ["kind", "local_date"]
    search_fields = ["agent__phone", "resident__phone"]
    list_select_related = ["agent", "resident", "session"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(AgentFlag)
class AgentFlagAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Agents who made more accounts from ID checks alone in a day than
    DESK_ID_ACCOUNTS_PER_DAY (docs/assisted-desk.md): the day's acts are in the log."""

    list_display = ["local_date", "agent", "accounts", "created_at", "updated_at"]
    list_filter = ["local_date"]
    search_fields = ["agent__phone"]
    list_select_related = ["agent"]
    date_hierarchy = "local_date"
