"""The admin, in Chinese: units, cadres and their badges, reviews, overdue, tickets.

A unit_admin sees and edits their own units' cadres only; district admins see all.
Reviewers are never shown to a unit: only district admins see who wrote a review.
"""

import base64

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.admin import ModelAdmin, ReadOnlyAdminMixin

from . import permissions, qr, selectors, services
from .codes import badge_url
from .models import Cadre, OverdueReview, Review, ServiceTicket, Unit, UnitMembership


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
