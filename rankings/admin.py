"""The rankings in the admin: months (compile, publish, exports, the bottom's report),
their entries, and the bottom's warnings."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from cadres.admin import UnitScopedAdmin
from core.admin import ModelAdmin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form
from core.forms import error_message

from . import diffs, exports, reports, selectors, services
from .models import BottomWarning, RankingEntry, RankingMonth


@admin.register(RankingMonth)
class RankingMonthAdmin(OncePerFormAdminMixin, ModelAdmin):
    list_display = [
        "__str__",
        "version",
        "compiled_at",
        "published_at",
        "verified_only",
        "excluded_reviews",
        "entry_count",
        "digest",
    ]
    readonly_fields = [
        "month",
        "version",
        "compiled_at",
        "published_at",
        "cutoff",
        "held_at_cutoff",
        "corrected_at",
        "verified_only",
        "excluded_total",
        "excluded_reviews",
        "digest",
        "previous_digest",
        "change_counts",
    ]
    # A correction's list of changes is sealed with it: shown counted, never edited.
    exclude = ["changes"]
    actions = ["publish", "recompile", "export_csv", "export_xlsx", "bottom_report"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_entries=Count("entries"))

    @admin.display(description=_("entries"))
    def entry_count(self, obj):
        return obj._entries

    @admin.display(description=_("changes"))
    def change_counts(self, obj):
        changes = diffs.stored(obj)
        moved = sum(change.kind == diffs.RANK_ONLY for change in changes)
        return _("%(changed)d changed, %(moved)d only in rank") % {
            "changed": len(changes) - moved,
            "moved": moved,
        }

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Publish (ended months only; freezes them)"))
    @once_per_form
    def publish(self, request, queryset):
        for ranking in queryset.order_by("month"):
            try:
                services.ranking_month_publish(month=ranking.month, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{ranking}: {error_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(month)s published.") % {"month": ranking})

    @admin.action(description=_("Compile again (unpublished months only)"))
    @once_per_form
    def recompile(self, request, queryset):
        for ranking in queryset.order_by("month"):
            try:
                services.rankings_compile(month=ranking.month)
            except DomainError as error:
                self.message_user(request, f"{ranking}: {error_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(month)s compiled.") % {"month": ranking})

    def _download(self, content, content_type, name):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        months = list(queryset.order_by("month"))
        return self._download(
            exports.rankings_csv(months), "text/csv; charset=utf-8", "rankings.csv"
        )

    @admin.action(description=_("Bottom report for the standing committee (PDF)"))
    def bottom_report(self, request, queryset):
        months = list(queryset.filter(published_at__isnull=False).order_by("-month")[:2])
        if len(months) != 1:
            self.message_user(request, _("Pick one published month."), messages.ERROR)
            return None
        [ranking] = months
        pdf = reports.bottom_report_pdf(selectors.bottom_report(ranking=ranking))
        return self._download(pdf, "application/pdf", f"bottom-{ranking.label}.pdf")

    @admin.action(description=_("Export as Excel (XLSX)"))
    def export_xlsx(self, request, queryset):
        months = list(queryset.order_by("month"))
        return self._download(
            exports.rankings_xlsx(months),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "rankings.xlsx",
        )


@admin.register(RankingEntry)
class RankingEntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = [
        "ranking",
        "scope",
        "rank",
        "unit_rank",
        "name",
        "unit_name",
        "reviews",
        "satisfaction_rate",
        "response_rate",
        "rejection_rate",
        "score",
        "bottom",
        "verified",
    ]
    list_filter = ["ranking", "scope", "bottom"]
    list_select_related = ["ranking"]
    search_fields = ["name", "unit_name"]


class WarningActionForm(ActionForm):
    note = forms.CharField(label=_("Note"), max_length=services.MAX_NOTE, required=False)


@admin.register(BottomWarning)
class BottomWarningAdmin(OncePerFormAdminMixin, UnitScopedAdmin):
    """Warning talks (two months in a row at the bottom) and post reviews (three and more):
    the unit admin sees its unit's, the district admin all. The state moves through the
    actions (services.bottom_warning_change), never by editing the row."""

    pending_label = _("Bottom warnings open")
    pending_filter = {"state": BottomWarning.State.OPEN}
    list_display = [
        "ranking",
        "kind",
        "scope",
        "name",
        "unit",
        "streak",
        "state",
        "note",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["state", "kind", "scope", "ranking"]
    list_select_related = ["ranking", "unit", "changed_by"]
    search_fields = ["name", "unit__name"]
    action_form = WarningActionForm
    actions = ["mark_talk_held", "close"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in BottomWarning._meta.fields]

    def _move(self, request, queryset, state):
        note = request.POST.get("note", "")
        for warning in queryset.order_by("pk"):
            try:
                services.bottom_warning_change(
                    warning=warning, state=state, note=note, actor=request.user
                )
            except DomainError as error:
                self.message_user(request, f"{warning}: {error_message(error)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(warning)s: %(state)s.")
                    % {"warning": warning, "state": warning.get_state_display()},
                )

    @admin.action(description=_("The warning talk was held"))
    @once_per_form
    def mark_talk_held(self, request, queryset):
        self._move(request, queryset, BottomWarning.State.TALK_HELD)

    @admin.action(description=_("Close with the note"))
    @once_per_form
    def close(self, request, queryset):
        self._move(request, queryset, BottomWarning.State.CLOSED)
