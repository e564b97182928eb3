"""The points admin: a read-only ledger, campaigns, rewards and vouchers, the moral claim
queue and adjustments (merchants and their settlements: merchants/admin.py). Every
change of points goes through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from accounts.selectors import user_has_role
from core import uploads
from core.admin import ModelAdmin, PhotoPreviewMixin, ReadOnlyAdminMixin, TabularInline
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, replay_spent, submit_once
from core.formfields import StrictIntegerField
from core.forms import error_message
from core.integers import parse_int

from . import campaigns, gate, selectors, services
from .models import (
    Account,
    Campaign,
    CampaignClaim,
    Entry,
    LedgerTransaction,
    Lot,
    MoralCategory,
    MoralClaim,
    PrivilegeTier,
    Redemption,
    ReviewAward,
    Reward,
)

# --- The ledger.


class AdjustmentForm(forms.Form):
    amount = StrictIntegerField(
        label=_("amount"),
        min_value=-10_000_000,
        max_value=10_000_000,
        help_text=_("Positive credits the account, negative debits it."),
    )
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("The amount cannot be zero."))
        return amount


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["key", "kind", "currency", "owner", "balance", "entries_link"]
    list_filter = ["kind", "currency"]
    search_fields = ["key", "owner__phone", "owner__display_name"]
    list_select_related = ["owner"]
    readonly_fields = ["key", "kind", "currency", "owner", "balance", "created_at"]
    change_form_template = "admin/points/account/change_form.html"

    @admin.display(description=_("entries"))
    def entries_link(self, obj):
        url = reverse("admin:points_entry_changelist") + f"?account={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("entries"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="points_account_adjust",
            ),
            *super().get_urls(),
        ]

    def _adjust(self, request, account, form):
        services.adjustment_post(
            account=account,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            admin=request.user,
        )
        self.message_user(request, gettext("The adjustment was posted."))
        return HttpResponseRedirect(reverse("admin:points_account_change", args=[account.pk]))

    def adjust_view(self, request, pk):
        """Post a compensating transaction against the adjustments account."""
        if not user_has_role(user=request.user, role=Role.DISTRICT_ADMIN):
            raise PermissionDenied
        account = get_object_or_404(Account, pk=pk)
        if replayed := replay_spent(request):
            return replayed
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                # Once per form: a second submit shows the first's outcome.
                return submit_once(
                    request,
                    lambda: self._adjust(request, account, form),
                    back=request.get_full_path(),
                )
            except DomainError as error:
                form.add_error(None, error_message(error))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Adjust %(account)s") % {"account": account.key},
            "account": account,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/points/adjust.html", context)


class AccountIdFilter(admin.SimpleListFilter):
    """?account=<id> from an account's "entries" link (no list of choices: too many)."""

    title = _("account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        # Only the chosen account: a filter with no choices would not be applied at all.
        value = parse_int(request.GET.get(self.parameter_name, ""), min_value=1)
        if value is not None:
            account = Account.objects.filter(pk=value).first()
            if account is not None:
                return [(str(account.pk), account.key)]
        return []

    def queryset(self, request, queryset):
        value = parse_int(self.value() or "", min_value=1)
        if value is not None:
            return queryset.filter(account_id=value)
        return queryset


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["id", "created_at", "account", "amount", "balance_after", "reason", "txn"]
    list_filter = [AccountIdFilter, "account__kind", "account__currency", "reason", "created_at"]
    search_fields = ["account__key", "account__owner__phone", "transaction__reference"]
    date_hierarchy = "created_at"
    list_select_related = ["account", "transaction"]
    readonly_fields = ["transaction", "account", "amount", "balance_after", "reason", "created_at"]
    show_full_result_count = False

    @admin.display(description=_("transaction"))
    def txn(self, obj):
        url = reverse("admin:points_ledgertransaction_change", args=[obj.transaction_id])
        return format_html('<a href="{}">#{}</a>', url, obj.transaction_id)


class EntryInline(ReadOnlyAdminMixin, TabularInline):
    model = Entry
    readonly_fields = ("account", "amount", "balance_after")
    fields = readonly_fields
    extra = 0
    can_delete = False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["id", "created_at", "reason", "reference", "created_by", "memo"]
    list_filter = ["reason", "created_at"]
    search_fields = ["reference", "memo", "created_by__phone"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]
    readonly_fields = ["reason", "reference", "memo", "created_by", "created_at"]
    inlines = [EntryInline]
    show_full_result_count = False


# --- Campaigns.


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["title", "starts_at", "ends_at", "points_per_claim", "claims"]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise forms.ValidationError(_("The end must be after the start."))
        return data


@admin.register(Campaign)
class CampaignAdmin(OncePerFormAdminMixin, ModelAdmin):
    form = CampaignForm
    list_display = [
        "title",
        "starts_at",
        "ends_at",
        "points_per_claim",
        "claims",
        "claims_left",
        "gate_left",
        "is_open_now",
    ]
    search_fields = ["title"]
    actions = ["rebuild_gate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["starts_at", "ends_at", "points_per_claim", "claims", "created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pool_balance=Sum("pool_accounts__balance"))

    @admin.display(description=_("claims left"))
    def claims_left(self, obj):
        return selectors.campaign_claims_left(campaign=obj)

    @admin.display(description=_("claims left in the Redis gate"))
    def gate_left(self, obj):
        state = gate.gate_state(campaign=obj)
        if state is None or state["left"] is None:
            return "-"
        return state["left"]

    @admin.display(description=_("open now"), boolean=True)
    def is_open_now(self, obj):
        return obj.is_open()

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["title"])
            return
        created = campaigns.campaign_create(
            title=obj.title,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            points_per_claim=obj.points_per_claim,
            claims=obj.claims,
            created_by=request.user,
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Rebuild the Redis gate from the database"))
    def rebuild_gate(self, request, queryset):
        for campaign in queryset:
            gate.gate_sync(campaign=campaign)
        self.message_user(request, gettext("Gates rebuilt."))


@admin.register(CampaignClaim)
class CampaignClaimAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["campaign", "resident", "amount", "created_at"]
    list_filter = ["campaign"]
    search_fields = ["resident__phone"]
    list_select_related = ["campaign", "resident"]


# --- Merchants, rewards, redemptions.


@admin.register(Reward)
class RewardAdmin(ModelAdmin):
    list_display = ["title", "merchant", "cost_points", "stock", "active", "redeemed"]
    list_filter = ["active", "merchant"]
    search_fields = ["title", "merchant__name"]
    list_select_related = ["merchant"]

    @admin.display(description=_("redeemed"))
    def redeemed(self, obj):
        return obj.redemptions.exclude(status=Redemption.Status.CANCELLED).count()

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        # A new reward is created by the service the API uses (POST /points/rewards).
        created = services.reward_create(
            merchant=obj.merchant,
            title=obj.title,
            cost_points=obj.cost_points,
            stock=obj.stock,
            active=obj.active,
            available_from=obj.available_from,
            available_until=obj.available_until,
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["id", "reward", "resident", "cost_points", "status", "created_at", "used_at"]
    list_filter = ["status", "reward__merchant"]
    search_fields = ["resident__phone", "reward__title"]
    list_select_related = ["reward__merchant", "resident"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Read-only: lots move only with the ledger's postings (docs/points-expiry.md)."""

    list_display = ["account", "month", "expires_on", "remaining"]
    list_filter = ["expires_on", "month"]
    search_fields = ["account__key", "account__owner__phone"]
    list_select_related = ["account"]
    show_full_result_count = False


@admin.register(ReviewAward)
class ReviewAwardAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["review_id", "resident", "points", "awarded_on"]
    list_filter = ["awarded_on"]
    search_fields = ["resident__phone"]
    list_select_related = ["resident"]


# --- Moral points.


@admin.register(MoralCategory)
class MoralCategoryAdmin(ModelAdmin):
    list_display = ["code", "name", "min_points", "max_points", "active"]
    list_filter = ["active"]


@admin.register(PrivilegeTier)
class PrivilegeTierAdmin(ModelAdmin):
    list_display = ["code", "name", "min_score", "privileges"]


class DecisionForm(forms.Form):
    points = StrictIntegerField(label=_("points"), min_value=1, max_value=10_000, required=False)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class StatusDefaultPendingFilter(admin.SimpleListFilter):
    """The queue opens on pending claims."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*MoralClaim.Status.choices, ("all", _("all"))]

    def choices(self, changelist):
        value = self.value() or MoralClaim.Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or MoralClaim.Status.PENDING
        if value == "all":
            return queryset
        return queryset.filter(status=value)


@admin.register(MoralClaim)
class MoralClaimAdmin(PhotoPreviewMixin, ModelAdmin):
    pending_label = _("Moral claims pending")
    pending_filter = {"status": MoralClaim.Status.PENDING}
    list_display = [
        "id",
        "resident",
        "category",
        "range",
        "occurred_on",
        "status",
        "points",
        "decided_by",
        "created_at",
    ]
    list_filter = [StatusDefaultPendingFilter, "category"]
    search_fields = ["resident__phone", "description"]
    list_select_related = ["resident", "category", "decided_by"]
    readonly_fields = [
        "resident",
        "category",
        "description",
        "occurred_on",
        "photo_preview",
        "status",
        "points",
        "decided_by",
        "decided_at",
        "reject_reason",
        "revoked_by",
        "revoked_at",
        "revoke_reason",
        "created_at",
    ]
    actions = ["approve", "reject", "revoke"]

    @admin.display(description=_("photo"))
    def photo_preview(self, obj):
        return uploads.photo_preview(obj.photo)

    @admin.display(description=_("range"))
    def range(self, obj):
        return f"{obj.category.min_points}–{obj.category.max_points}"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide_each(self, request, queryset, action, points, reason) -> None:
        done = 0
        for claim in queryset:
            try:
                action(claim, points, reason)
                done += 1
            except DomainError as error:
                self.message_user(request, f"#{claim.pk}: {error_message(error)}", messages.ERROR)
        if done:
            self.message_user(request, gettext("%(n)d claim(s) done.") % {"n": done})

    def _decide(self, request, queryset, *, action, title, needs_points):
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            points, reason = form.cleaned_data["points"], form.cleaned_data["reason"]
            if needs_points and not points:
                form.add_error("points", gettext("Give the points to credit."))
            elif not needs_points and not reason.strip():
                form.add_error("reason", gettext("A reason is required."))
            else:
                # Once per form: a second submit shows the first's messages.
                return submit_once(
                    request,
                    lambda: self._decide_each(request, queryset, action, points, reason),
                    back=request.get_full_path(),
                )
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "claims": queryset,
            "form": form,
            "needs_points": needs_points,
            "action_name": request.POST.get("action"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/points/decision.html", context)

    @admin.action(description=_("Approve the selected claims"), permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(
            request,
            queryset,
            action=lambda claim, points, reason: services.moral_claim_approve(
                claim_id=claim.pk, reviewer=request.user, points=points
            ),
            title=gettext("Approve claims"),
            needs_points=True,
        )

    @admin.action(description=_("Reject the selected claims"), permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(
            request,
            queryset,
            action=lambda claim, points, reason: services.moral_claim_reject(
                claim_id=claim.pk, reviewer=request.user, reason=reason
            ),
            title=gettext("Reject claims"),
            needs_points=False,
        )

    @admin.action(description=_("Revoke the selected approved claims"), permissions=["revoke"])
    def revoke(self, request, queryset):
        return self._decide(
            request,
            queryset,
            action=lambda claim, points, reason: services.moral_claim_revoke(
                claim_id=claim.pk, admin=request.user, reason=reason
            ),
            title=gettext("Revoke claims"),
            needs_points=False,
        )

    def has_revoke_permission(self, request):
        return user_has_role(user=request.user, role=Role.DISTRICT_ADMIN)
