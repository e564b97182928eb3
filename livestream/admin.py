"""The livestream duty in the admin: the catalogue, sessions, income and transfers (read
only: they are recorded through the API and never edited), the inspector's confirmation,
and the two compliance lists."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from cadres.models import Unit
from cadres.permissions import is_district_admin
from core.admin import ModelAdmin
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form

from . import permissions, selectors, services
from .models import OverdueIncome, Product, QuotaShortfall, Session, Transfer


def _scope(request) -> set[int] | None:
    """None: every unit (operator, inspector, district admin); else the admin's units."""
    user = request.user
    if permissions.is_operator(user) or permissions.is_inspector(user):
        return None
    if is_district_admin(user=user):
        return None
    return permissions.admin_unit_ids(user)


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "description", "active"]
    list_filter = ["active"]


@admin.register(Session)
class SessionAdmin(ModelAdmin):
    list_display = [
        "title",
        "unit",
        "starts_at",
        "platform",
        "sales",
        "orders",
        "outcome_recorded_at",
    ]
    list_filter = ["platform", "unit"]
    search_fields = ["title", "hosts__name"]
    filter_horizontal = ["hosts", "products"]
    fields = [
        "title",
        "unit",
        "starts_at",
        "platform",
        "hosts",
        "products",
        "duration_minutes",
        "peak_viewers",
        "orders",
        "sales",
        "outcome_recorded_at",
    ]
    readonly_fields = ["duration_minutes", "peak_viewers", "orders", "sales", "outcome_recorded_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("unit")
        units = _scope(request)
        return queryset if units is None else queryset.filter(unit_id__in=units)

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        units = _scope(request)
        if db_field.name == "unit" and units is not None:
            kwargs["queryset"] = Unit.objects.filter(pk__in=units)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.planned_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Transfer)
class TransferAdmin(OncePerFormAdminMixin, ReadOnlyAdmin):
    list_display = [
        "income",
        "amount",
        "fund",
        "reference",
        "transferred_on",
        "status",
        "decided_at",
    ]
    list_filter = ["status", "fund"]
    search_fields = ["reference", "income__cadre__name"]
    actions = ["confirm"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("income", "income__cadre")
        units = _scope(request)
        return queryset if units is None else queryset.filter(income__cadre__unit_id__in=units)

    @admin.action(description=_("Confirm the selected transfers against their evidence"))
    @once_per_form
    def confirm(self, request, queryset):
        done = 0
        for transfer in queryset:
            try:
                services.transfer_confirm(user=request.user, transfer=transfer)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{transfer}: {error.detail}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d transfers confirmed.") % {"n": done})


@admin.register(OverdueIncome)
class OverdueIncomeAdmin(ReadOnlyAdmin):
    list_display = ["cadre", "session", "kind", "amount", "received_on"]

    def get_queryset(self, request):
        return selectors.incomes_overdue(unit_ids=_scope(request))


@admin.register(QuotaShortfall)
class QuotaShortfallAdmin(ReadOnlyAdmin):
    list_display = ["name", "unit", "rank", "held_this_quarter", "quota"]

    def get_queryset(self, request):
        lines = selectors.shortfalls(quarter=selectors.current_quarter(), unit_ids=_scope(request))
        ids = [line["cadre"].pk for line in lines]
        return super().get_queryset(request).filter(pk__in=ids).select_related("unit")

    @admin.display(description=_("sessions held this quarter"))
    def held_this_quarter(self, obj):
        return selectors.held_count(cadre=obj, quarter=selectors.current_quarter())

    @admin.display(description=_("quota"))
    def quota(self, obj):
        return selectors.quota_for(obj.rank)
