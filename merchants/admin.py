"""The merchants admin: merchants with their monthly settlement, finance confirms and pays
settlement statements (a paid one is read-only), payments and refunds are visible,
counter codes are rotated."""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form
from core.forms import error_message
from points import selectors as points_selectors
from points import services as points_services
from points.models import Merchant
from points.selectors import yuan

from . import services
from .api.views import statement_csv
from .models import MerchantCode, Payment, PaymentRefund, PaymentRequest, Statement


class StatementActionForm(ActionForm):
    reference = forms.CharField(label=_("Payment reference"), max_length=100, required=False)


@admin.register(Statement)
class StatementAdmin(OncePerFormAdminMixin, ModelAdmin):
    pending_label = _("Statements to confirm")
    pending_filter = {"status": Statement.Status.OPEN}
    list_display = [
        "merchant",
        "month_label",
        "status",
        "payments_points",
        "refunds_points",
        "vouchers_points",
        "points",
        "yuan",
        "payment_reference",
        "csv_link",
    ]
    list_filter = ["status", "month"]
    list_select_related = ["merchant"]
    search_fields = ["merchant__name", "payment_reference"]
    readonly_fields = (
        "merchant",
        "month",
        "status",
        "payments_points",
        "refunds_points",
        "vouchers_points",
        "other_points",
        "points",
        "entries_count",
        "built_at",
        "confirmed_by",
        "confirmed_at",
        "paid_by",
        "paid_at",
        "payment_reference",
    )
    fields = readonly_fields
    action_form = StatementActionForm
    actions = ["confirm_statements", "pay_statements"]

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, statement):
        return statement.label

    @admin.display(description=_("yuan"))
    def yuan(self, statement):
        return yuan(statement.points)

    @admin.display(description="CSV")
    def csv_link(self, statement):
        url = reverse("admin:merchants_statement_csv", args=[statement.pk])
        return format_html('<a href="{}">CSV</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:pk>/csv/",
                self.admin_site.admin_view(self.csv_view),
                name="merchants_statement_csv",
            ),
            *super().get_urls(),
        ]

    def csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return statement_csv(get_object_or_404(Statement.objects.select_related("merchant"), pk=pk))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Confirm the selected statements"), permissions=["change"])
    @once_per_form
    def confirm_statements(self, request, queryset):
        done = 0
        for statement in queryset.select_related("merchant"):
            try:
                services.statement_confirm(statement_id=statement.pk, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{statement}: {error_message(error)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)d statements confirmed.") % {"count": done})

    @admin.action(
        description=_("Mark the selected statements paid with the payment reference"),
        permissions=["change"],
    )
    @once_per_form
    def pay_statements(self, request, queryset):
        reference = request.POST.get("reference", "")
        done = 0
        for statement in queryset.select_related("merchant"):
            try:
                services.statement_pay(
                    statement_id=statement.pk, actor=request.user, reference=reference
                )
            except DomainError as error:
                self.message_user(request, f"{statement}: {error_message(error)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)d statements marked paid.") % {"count": done})


class RefundInline(ReadOnlyAdminMixin, TabularInline):
    model = PaymentRefund
    readonly_fields = ("amount_points", "created_by", "created_at")
    fields = readonly_fields
    extra = 0


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["pk", "merchant", "amount_points", "refunded_points", "request", "created_at"]
    list_filter = ["merchant"]
    list_select_related = ["merchant"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "merchant",
        "resident",
        "amount_points",
        "refunded_points",
        "request",
        "created_at",
    )
    fields = readonly_fields
    inlines = [RefundInline]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["pk", "merchant", "amount_points", "created_at", "expires_at"]
    list_filter = ["merchant"]
    list_select_related = ["merchant"]


@admin.register(MerchantCode)
class MerchantCodeAdmin(ModelAdmin):
    list_display = ["merchant", "code_version", "code_rotated_by", "code_rotated_at"]
    readonly_fields = ["merchant", "code_version", "code_rotated_by", "code_rotated_at"]
    actions = ["rotate_code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Replace the counter codes (the printed ones stop working)"),
        permissions=["change"],
    )
    def rotate_code(self, request, queryset):
        for code in queryset.select_related("merchant"):
            services.merchant_code_rotate(merchant=code.merchant, actor=request.user)
        self.message_user(request, _("Counter codes replaced."))


# --- Merchants (points.Merchant) and their settlement by month.


def settlement_csv(merchants) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="settlement.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese names correctly with a BOM.
    writer = csv.writer(response)
    writer.writerow([gettext("merchant"), gettext("month"), gettext("points"), gettext("yuan")])
    for merchant in merchants:
        for row in points_selectors.merchant_settlement(merchant=merchant):
            writer.writerow([merchant.name, row["month"], row["points"], row["yuan"]])
    return response


@admin.register(Merchant)
class MerchantAdmin(ModelAdmin):
    list_display = ["name", "address", "balance", "balance_yuan", "settlement_link"]
    search_fields = ["name"]
    filter_horizontal = ["users"]
    fields = ["name", "address", "users", "account", "created_at"]
    readonly_fields = ["account", "created_at"]
    list_select_related = ["account"]
    actions = ["export_settlement"]

    @admin.display(description=_("points received"))
    def balance(self, obj):
        return obj.account.balance

    @admin.display(description=_("yuan"))
    def balance_yuan(self, obj):
        return yuan(obj.account.balance)

    @admin.display(description=_("settlement"))
    def settlement_link(self, obj):
        url = reverse("admin:points_merchant_settlement", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("by month"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/settlement/",
                self.admin_site.admin_view(self.settlement_view),
                name="points_merchant_settlement",
            ),
            *super().get_urls(),
        ]

    def settlement_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        merchant = get_object_or_404(Merchant, pk=pk)
        if request.GET.get("format") == "csv":
            return settlement_csv([merchant])
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Settlement of %(merchant)s") % {"merchant": merchant.name},
            "merchant": merchant,
            "rows": points_selectors.merchant_settlement(merchant=merchant),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/points/settlement.html", context)

    def save_model(self, request, obj, form, change):
        if not change:
            created = points_services.merchant_create(name=obj.name, address=obj.address)
            obj.pk, obj.account = created.pk, created.account
            obj._state.adding = False
        obj.save()

    @admin.action(description=_("Export the monthly settlement (CSV)"))
    def export_settlement(self, request, queryset):
        return settlement_csv(queryset.order_by("name"))
