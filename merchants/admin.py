"""The merchants admin: finance confirms and pays settlement statements (a paid one is
read-only), payments and refunds are visible, counter codes are rotated."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form
from core.forms import error_message
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
