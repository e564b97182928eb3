"""The admin, in Chinese: units, cadres and their badges, reviews, overdue, rankings.

A unit_admin sees and edits their own units' cadres only; district admins see all.
Reviewers are never shown to a unit: only district admins see who wrote a review.
"""

import base64

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.admin import ModelAdmin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.form_nonces import OncePerFormAdminMixin, once_per_form, submit_once
from core.forms import add_form_errors, error_message

from . import exports, permissions, qr, reports, selectors, services
from .codes import badge_url
from .models import (
    Appeal,
    BottomWarning,
    Cadre,
    Exclusion,
    FlagRule,
    Holiday,
    OverdueReview,
    RankingEntry,
    RankingMonth,
    Review,
    ReviewFlag,
    ServiceTicket,
    Unit,
    UnitMembership,
)


def _district(request) -> bool:
    return permissions.is_district_admin(user=request.user)


def _own_units(request) -> set[int]:
    return selectors.unit_ids_for(user=request.user, role=Role.UNIT_ADMIN)


class UnitScopedAdmin(ModelAdmin):
    """Rows limited to the user's units unless the user is a district admin."""

    unit_path = "unit"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _district(request):
            return queryset
        return queryset.filter(**{f"{self.unit_path}__in": _own_units(request)})


@admin.register(Unit)
class UnitAdmin(UnitScopedAdmin):
    unit_path = "pk"
    list_display = ["name", "kind", "parent", "cadre_count", "unanswered_bad", "overdue"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(
                _cadres=Count("cadres", filter=Q(cadres__active=True), distinct=True),
                _unanswered=Count(
                    "cadres__reviews",
                    filter=Q(
                        cadres__reviews__rating__lte=2, cadres__reviews__responded_at__isnull=True
                    ),
                ),
                _overdue=Count(
                    "cadres__reviews",
                    filter=Q(
                        cadres__reviews__overdue_at__isnull=False,
                        cadres__reviews__responded_at__isnull=True,
                    ),
                ),
            )
        )

    @admin.display(description=_("active cadres"), ordering="_cadres")
    def cadre_count(self, obj):
        return obj._cadres

    @admin.display(description=_("bad reviews unanswered"), ordering="_unanswered")
    def unanswered_bad(self, obj):
        return obj._unanswered

    @admin.display(description=_("overdue (72 hours)"), ordering="_overdue")
    def overdue(self, obj):
        return obj._overdue


@admin.register(Cadre)
class CadreAdmin(UnitScopedAdmin):
    list_display = ["name", "title", "rank", "unit", "employee_number", "active", "code_version"]
    list_filter = ["active", "rank", "unit"]
    search_fields = ["name", "employee_number", "unit__name"]
    list_select_related = ["unit"]
    readonly_fields = ["code_version", "code_rotated_at", "code_rotated_by", "badge"]
    raw_id_fields = ["user"]
    actions = ["print_badges", "rotate_codes"]

    def get_readonly_fields(self, request, obj=None):
        # Linking a user to a cadre lets that user read the cadre's reviews: district only.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if _district(request) else [*fields, "user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit" and not _district(request):
            kwargs["queryset"] = Unit.objects.filter(pk__in=_own_units(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("badge code"))
    def badge(self, obj):
        if not obj.pk:
            return "-"
        png = base64.b64encode(qr.badge_png(obj, box_size=4)).decode()
        return format_html(
            '<img src="data:image/png;base64,{}" width="160" height="160" alt=""><br>{}',
            png,
            badge_url(obj),
        )

    @admin.action(description=_("Print badges (PDF)"))
    def print_badges(self, request, queryset):
        cadres = list(queryset.select_related("unit").order_by("unit__name", "name"))
        response = HttpResponse(qr.badge_sheet_pdf(cadres), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="badges.pdf"'
        return response

    @admin.action(description=_("Replace the badge codes (old badges stop working)"))
    def rotate_codes(self, request, queryset):
        count = 0
        for cadre in queryset.order_by("pk"):
            services.cadre_code_rotate(cadre=cadre, actor=request.user)
            count += 1
        self.message_user(request, _("%(count)d codes replaced.") % {"count": count})


@admin.register(UnitMembership)
class UnitMembershipAdmin(ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit"]
    raw_id_fields = ["user"]


class ReviewAdminBase(ReadOnlyAdminMixin, UnitScopedAdmin):
    unit_path = "cadre__unit"
    list_display = [
        "cadre",
        "rating",
        "local_date",
        "comment",
        "responded_at",
        "verdict_accepted",
        "overdue_at",
    ]
    list_filter = ["rating", "local_date", ("responded_at", admin.EmptyFieldListFilter)]
    list_select_related = ["cadre", "cadre__unit"]
    search_fields = ["cadre__name", "comment"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        fields = [
            "cadre",
            "rating",
            "tags",
            "comment",
            "created_at",
            "local_date",
            "points_awarded",
            "response_message",
            "responded_at",
            "verdict_accepted",
            "verdict_at",
            "overdue_at",
        ]
        if _district(request):
            fields.insert(1, "reviewer")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


@admin.register(Review)
class ReviewAdmin(ReviewAdminBase):
    pending_label = _("Bad reviews unanswered")
    pending_filter = {"rating__lte": 2, "responded_at__isnull": True}
    pending_query = {"rating__lte": 2, "responded_at__isempty": 1}


@admin.register(OverdueReview)
class OverdueReviewAdmin(ReviewAdminBase):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(overdue_at__isnull=False)


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
    list_display = [
        "review_cadre",
        "review_rating",
        "review_comment",
        "review_date",
        "review_assisted",
        "rule",
        "signal",
        "state",
        "decided_at",
    ]
    list_filter = ["state", "rule"]
    list_select_related = ["review", "review__cadre", "review__cadre__unit"]
    search_fields = ["review__cadre__name"]
    fields = [
        "review_cadre",
        "review_rating",
        "review_comment",
        "review_date",
        "review_excluded",
        "review_assisted",
        "rule",
        "signal",
        "created_at",
        "state",
        "decided_by",
        "decided_at",
        "decision_reason",
        "points_taken_back",
        "points_shortfall",
    ]
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
    texts = {
        FlagRule.BURST: _(
            "%(reviews)s reviews of this cadre by new accounts within %(minutes)s minutes"
        ),
        FlagRule.DEVICE: _("one device reviewed %(cadres)s cadres within %(minutes)s minutes"),
        FlagRule.ADDRESS: _("one address reviewed %(cadres)s cadres within %(minutes)s minutes"),
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
        return str(text) % d
    except (KeyError, TypeError, ValueError):
        return flag.get_rule_display()


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
        "corrected_at",
        "verified_only",
        "excluded_total",
        "excluded_reviews",
        "digest",
        "previous_digest",
    ]
    actions = ["publish", "recompile", "export_csv", "export_xlsx", "bottom_report"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_entries=Count("entries"))

    @admin.display(description=_("entries"))
    def entry_count(self, obj):
        return obj._entries

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Publish (ended months only; freezes them)"))
    @once_per_form
    def publish(self, request, queryset):
        for ranking in queryset.order_by("month"):
            try:
                services.ranking_month_publish(month=ranking.month)
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


@admin.register(ServiceTicket)
class ServiceTicketAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Tickets issued (proof of presence): who issued them and when a review used them.
    District admins only: a unit that saw when its tickets were used could match them
    to its reviews and so to the people it served (reviewers stay anonymous)."""

    list_display = ["cadre", "issued_by", "issued_at", "expires_at", "used_at"]
    list_filter = [("used_at", admin.EmptyFieldListFilter), "cadre__unit"]
    list_select_related = ["cadre", "cadre__unit", "issued_by"]
    search_fields = ["cadre__name"]
    date_hierarchy = "issued_at"
    fields = ["cadre", "issued_by", "issued_at", "expires_at", "used_at"]


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
    fields = [
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
    ]
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
        url = reverse("admin:cadres_appeal_decide", args=[appeal.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Decide"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="cadres_appeal_decide",
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
        return redirect("admin:cadres_appeal_changelist")

    def decide_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        appeal = get_object_or_404(self.get_queryset(request), pk=pk)
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
        return TemplateResponse(request, "admin/cadres/appeal/decide.html", context)


@admin.register(Holiday)
class HolidayAdmin(ModelAdmin):
    """Public holidays: not working days for the appeals' deadlines."""

    list_display = ["date", "name"]
    date_hierarchy = "date"
