"""Moderation in the admin: the rating moderators' queue of flagged reviews, the appeal
reviewers' queue of appeals, and the holidays their deadlines skip."""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cadres.models import Exclusion
from core.admin import ModelAdmin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form, replay_spent, submit_once
from core.forms import add_form_errors, error_message

from . import permissions, services
from .models import Appeal, FlagRule, Holiday, ReviewFlag


class FlagActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for the decision"), max_length=services.MAX_DECISION_REASON, required=False
    )
    ground = forms.ChoiceField(
        label=_("Ground for excluding"),
        choices=[(g, Exclusion(g).label) for g in services.MODERATION_GROUNDS],
        required=False,
    )


@admin.register(ReviewFlag)
class ReviewFlagAdmin(OncePerFormAdminMixin, ModelAdmin):
    """The rating moderator's queue: flagged reviews, the signals (counts only), and
    the review as far as needed (cadre, rating, comment, date), never the reviewer."""

    pending_label = _("Flagged reviews to moderate")
    pending_filter = {"state": ReviewFlag.State.OPEN}

    def pending_count(self, pending):
        # The reviews waiting, not their flags: one review may carry several rules' flags.
        return pending.order_by().values("review_id").distinct().count()

    list_display = [
        "review_cadre",
        "review_rating",
        "review_comment",
        "review_date",
        "review_assisted",
        "rule",
        "signal",
        "reviews",
        "state",
        "decided_at",
    ]
    list_filter = ["state", "rule"]
    list_select_related = ["review", "review__cadre", "review__cadre__unit"]
    search_fields = ["review__cadre__name"]
    fields: ClassVar[tuple[str, ...]] = (
        "review_cadre",
        "review_rating",
        "review_comment",
        "review_date",
        "review_excluded",
        "review_assisted",
        "rule",
        "signal",
        "reviews",
        "created_at",
        "state",
        "decided_by",
        "decided_at",
        "decision_reason",
        "points_taken_back",
        "points_shortfall",
    )
    readonly_fields = fields
    action_form = FlagActionForm
    actions = ["exclude_reviews", "clear_flags"]

    def changelist_view(self, request, extra_context=None):
        # The queue: open flags first, unless the moderator filtered otherwise.
        if not request.GET and request.method == "GET":
            return redirect(f"{request.path}?state__exact=open")
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.can_moderate(user=request.user)

    def has_change_permission(self, request, obj=None):
        # Decisions go through the actions (the services), never by editing a row.
        return False

    def has_module_permission(self, request):
        return permissions.can_moderate(user=request.user) or super().has_module_permission(request)

    def get_actions(self, request):
        if not permissions.can_moderate(user=request.user):
            return {}
        return super().get_actions(request)

    @admin.display(description=_("cadre"), ordering="review__cadre__name")
    def review_cadre(self, flag):
        return str(flag.review.cadre)

    @admin.display(description=_("rating"))
    def review_rating(self, flag):
        return flag.review.get_rating_display()

    @admin.display(description=_("comment"))
    def review_comment(self, flag):
        return flag.review.comment

    @admin.display(description=_("submitted at"), ordering="review__created_at")
    def review_date(self, flag):
        return flag.review.created_at

    # A service desk files many residents' reviews from one address: the moderator
    # weighs an address signal on assisted reviews with that in mind.
    @admin.display(description=_("assisted at a service desk"), boolean=True)
    def review_assisted(self, flag):
        return flag.review.assisted

    @admin.display(description=_("excluded because"))
    def review_excluded(self, flag):
        return flag.review.get_excluded_reason_display()

    @admin.display(description=_("signal"))
    def signal(self, flag):
        return fraud_signal_text(flag)

    def _decide(self, request, queryset, decide, done):
        reason = request.POST.get("reason", "")
        decided = 0
        for flag in queryset.order_by("pk"):
            try:
                decide(flag, reason)
            except DomainError as error:
                self.message_user(request, f"{flag}: {error_message(error)}", messages.ERROR)
            else:
                decided += 1
        if decided:
            self.message_user(request, done % {"count": decided}, messages.SUCCESS)

    @admin.action(description=_("Exclude the selected reviews (with the reason and ground)"))
    @once_per_form
    def exclude_reviews(self, request, queryset):
        ground = request.POST.get("ground") or Exclusion.FRAUD
        self._decide(
            request,
            queryset,
            lambda flag, reason: services.review_flag_exclude(
                flag_id=flag.pk, moderator=request.user, reason=reason, ground=ground
            ),
            _("%(count)d reviews excluded."),
        )

    @admin.action(description=_("Clear the selected flags (the reviews count)"))
    @once_per_form
    def clear_flags(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda flag, reason: services.review_flag_clear(
                flag_id=flag.pk, moderator=request.user, reason=reason
            ),
            _("%(count)d flags cleared."),
        )


def fraud_signal_text(flag: ReviewFlag) -> str:
    """The signal in words, from its counts only."""
    d = flag.detail or {}
    texts: dict[str, Promise] = {
        FlagRule.BURST: _(
            "%(reviews)s reviews of this cadre by new accounts within %(minutes)s minutes"
        ),
        FlagRule.DEVICE: _("one device reviewed %(cadres)s cadres within %(minutes)s minutes"),
        FlagRule.ADDRESS: _(
            "one address reviewed %(cadres)s cadres within %(minutes)s minutes, with new "
            "accounts or many devices: %(reviews)s reviews of that address and hour"
        ),
        FlagRule.UNIT_SWEEP: _(
            "one reviewer rated all %(cadres)s cadres of the unit 1 or 2 in a day"
        ),
        FlagRule.FEW_ACCOUNTS: _(
            "%(accounts)s accounts wrote %(share_percent)s%% of the cadre's %(reviews)s reviews"
        ),
        FlagRule.COLLEAGUE: _("the reviewer works in the cadre's unit (excluded automatically)"),
        FlagRule.ACCOUNT: _("one account reviewed %(cadres)s cadres within %(minutes)s minutes"),
        FlagRule.ACCOUNT_DEVICES: _(
            "one account presented %(devices)s devices within %(minutes)s minutes"
        ),
        FlagRule.ADDRESS_DEVICES: _(
            "one address presented %(devices)s devices within %(minutes)s minutes"
        ),
        FlagRule.UNCONFIRMED: _(
            "the account was made at a service desk and its phone is not confirmed by SMS: "
            "held out of the rankings until decided, no points"
        ),
    }
    text = texts.get(flag.rule)
    if text is None:
        return ""
    try:
        return str(text) % {**d, "reviews": flag.reviews}
    except (KeyError, TypeError, ValueError):
        return flag.get_rule_display()


class AppealOverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Pending past the due date"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(status=Appeal.Status.PENDING, due_at__lt=timezone.now())
        return queryset


class AppealDecideForm(forms.Form):
    reason = forms.CharField(
        label=_("reason of the decision"),
        max_length=services.MAX_DECISION_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The appeals queue of the district's appeal reviewers: never who wrote the review."""

    pending_label = _("Review appeals pending")
    pending_filter = {"status": Appeal.Status.PENDING}
    list_display = [
        "review_cadre",
        "review_rating",
        "created_at",
        "due_at",
        "status",
        "outcome",
        "decide_link",
    ]
    list_filter = ["status", AppealOverdueFilter, "outcome"]
    list_select_related = ["review", "review__cadre", "review__cadre__unit"]
    search_fields = ["review__cadre__name", "reason"]
    fields: ClassVar[tuple[str, ...]] = (
        "review_cadre",
        "review_rating",
        "review_comment",
        "review_date",
        "reason",
        "status",
        "created_at",
        "due_at",
        "outcome",
        "decision_reason",
        "decided_at",
        "decided_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("cadre"))
    def review_cadre(self, appeal):
        return appeal.review.cadre

    @admin.display(description=_("rating"))
    def review_rating(self, appeal):
        return appeal.review.get_rating_display()

    @admin.display(description=_("comment"))
    def review_comment(self, appeal):
        return appeal.review.comment

    @admin.display(description=_("submitted at"))
    def review_date(self, appeal):
        return appeal.review.local_date

    @admin.display(description=_("decision"))
    def decide_link(self, appeal):
        if appeal.status != Appeal.Status.PENDING:
            return "-"
        url = reverse("admin:moderation_appeal_decide", args=[appeal.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Decide"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="moderation_appeal_decide",
            ),
            *super().get_urls(),
        ]

    def _decide(self, request, appeal, form):
        services.appeal_decide(
            appeal=appeal,
            decider=request.user,
            upheld="uphold" in request.POST,
            reason=form.cleaned_data["reason"],
        )
        self.message_user(request, gettext("The appeal is decided."))
        return redirect("admin:moderation_appeal_changelist")

    def decide_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        appeal = get_object_or_404(self.get_queryset(request), pk=pk)
        if replayed := replay_spent(request):
            return replayed
        form = AppealDecideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                # Once per form: a second submit shows the first's outcome.
                return submit_once(
                    request,
                    lambda: self._decide(request, appeal, form),
                    back=request.get_full_path(),
                )
            except DomainError as error:
                add_form_errors(form, error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Decide the appeal against a review of %(name)s")
            % {"name": appeal.review.cadre.name},
            "appeal": appeal,
            "form": form,
        }
        return TemplateResponse(request, "admin/moderation/appeal/decide.html", context)


@admin.register(Holiday)
class HolidayAdmin(ModelAdmin):
    """Public holidays: not working days for the appeals' deadlines."""

    list_display = ["date", "name"]
    date_hierarchy = "date"
