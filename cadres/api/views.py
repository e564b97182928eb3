"""The cadres API of API.md: units, badges, reviews and answers, rankings."""

import base64
import hashlib
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import StatelessJWTAuthentication
from accounts.permissions import HasRole
from accounts.roles import Role
from core import codes
from core.devices import IssuesDeviceToken, device_id
from core.errors import Forbidden, Invalid, or_404
from core.idempotency import idempotent
from core.integers import parse_int
from core.net import client_ip
from core.pagination import PAGE_PARAMETERS, CursorPagination, paginate, paginated
from core.schema import DEVICE_TOKEN_PARAMETERS, error_response
from core.serializers import (
    ComputedBooleanField,
    ComputedCharField,
    ComputedURLField,
    StrictIntegerField,
)
from core.throttling import (
    AnonRateThrottle,
    ScopedThrottle,
    UserAndScopeThrottle,
    UserRateThrottle,
)

from .. import permissions, publication, qr, rankings, selectors, services, throttles
from ..codes import badge_url, review_target, ticket_url
from ..errors import TicketOtherCadre
from ..models import Appeal, Review
from ..pages import photo_url

MAX_INT = 2**31 - 1


class UnitRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


class CadreSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    unit = UnitRefSerializer()
    photo_url = ComputedURLField(
        lambda cadre, context: photo_url(cadre, context.get("request")),
        with_context=True,
        allow_null=True,
    )


def cadre_scan_body(cadre, request) -> dict:
    """The body under "cadre" in POST /scan (API.md)."""
    return CadreSerializer(cadre, context={"request": request}).data


class TicketRefSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField()


class TicketScanSerializer(CadreSerializer):
    """A service ticket scanned: the cadre's card and the ticket's expiry."""

    ticket = TicketRefSerializer(source="*")

    def to_representation(self, ticket):
        data = CadreSerializer(ticket.cadre, context=self.context).data
        data["ticket"] = TicketRefSerializer(ticket).data
        return data


def ticket_scan_body(ticket, request) -> dict:
    """The body under "cadre" in POST /scan for a service ticket: the card + `ticket`."""
    return TicketScanSerializer(ticket, context={"request": request}).data


class ResponseBodySerializer(serializers.Serializer):
    """A review's answer and its verdict; null until the cadre answers."""

    message = serializers.CharField(source="response_message")
    responded_at = serializers.DateTimeField()
    accepted = serializers.BooleanField(
        source="verdict_accepted", allow_null=True, help_text="The reviewer's verdict."
    )
    verdict_at = serializers.DateTimeField(allow_null=True)

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, review):
        if review.responded_at is None:
            return None
        return super().to_representation(review)


def _outcome(appeal) -> str | None:
    return appeal.outcome or None


class ReviewAppealSerializer(serializers.Serializer):
    """The appeal against a review, as its reviewer sees it: the outcome, not the decider."""

    status = serializers.ChoiceField(choices=Appeal.Status.choices)
    outcome = ComputedCharField(
        _outcome,
        allow_null=True,
        help_text="`upheld` (the review no longer counts) or `dismissed`; null while pending.",
    )
    reason = ComputedCharField(
        lambda appeal: appeal.decision_reason or None,
        allow_null=True,
        help_text="The decision's reason; null while pending.",
    )
    decided_at = serializers.DateTimeField(allow_null=True)


# --- Units and cadres ------------------------------------------------------------------


class UnitListView(APIView):
    """GET /units: the district's units."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        name = serializers.CharField()
        kind = serializers.ChoiceField(
            choices=["bureau", "urban_management", "public_security", "street_office", "other"]
        )
        parent = UnitRefSerializer(allow_null=True)

    @extend_schema(**paginated(OutputSerializer, operation_id="units_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.units_list(),
            serialize=lambda unit: self.OutputSerializer(unit).data,
        )


class UnitCadreListView(APIView):
    """GET /units/{id}/cadres: the unit's active cadres."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(**paginated(CadreSerializer, operation_id="units_cadres_list"))
    def get(self, request, pk):
        unit = or_404(selectors.units_list().filter(pk=pk).first())
        return paginate(
            view=self,
            request=request,
            queryset=selectors.unit_cadres(unit=unit),
            serialize=lambda c: CadreSerializer(c, context={"request": request}).data,
        )


class UnitReviewSummaryView(APIView):
    """GET /units/{id}/review-summary: the unit admin's view of bad and overdue reviews."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        reviews = StrictIntegerField()
        bad = StrictIntegerField()
        unanswered_bad = StrictIntegerField()
        overdue = StrictIntegerField(help_text="Bad reviews unanswered after 72 hours.")
        overdue_total = StrictIntegerField(
            help_text="Bad reviews ever recorded overdue, answered since or not."
        )

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, pk):
        unit = or_404(selectors.units_list().filter(pk=pk).first())
        if not permissions.can_manage_unit(user=request.user, unit_id=unit.pk):
            raise Forbidden()
        return Response(self.OutputSerializer(selectors.unit_review_summary(unit=unit)).data)


# --- Badges ----------------------------------------------------------------------------


class _BadgeView(APIView):
    permission_classes = [IsAuthenticated]

    def _cadre(self, request, pk):
        cadre = or_404(selectors.cadre_get(pk=pk))
        if not permissions.can_see_badge(user=request.user, cadre=cadre):
            raise Forbidden()
        return cadre


class CadreQrPngView(_BadgeView):
    """GET /cadres/{id}/qr.png: the badge code (the cadre, its unit_admin, district_admin)."""

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        cadre = self._cadre(request, pk)
        return HttpResponse(qr.badge_png(cadre), content_type="image/png")


class CadreQrSvgView(_BadgeView):
    """GET /cadres/{id}/qr.svg: the badge code as SVG."""

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        cadre = self._cadre(request, pk)
        return HttpResponse(qr.badge_svg(cadre), content_type="image/svg+xml")


class CadreQrRotateView(APIView):
    """POST /cadres/{id}/qr/rotate: a new badge code; the old one stops resolving."""

    permission_classes = [HasRole(Role.UNIT_ADMIN, Role.DISTRICT_ADMIN)]

    class OutputSerializer(serializers.Serializer):
        code_url = ComputedCharField(badge_url)
        code_version = StrictIntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request, pk):
        cadre = or_404(selectors.cadre_get(pk=pk))
        if not permissions.can_manage_unit(user=request.user, unit_id=cadre.unit_id):
            raise Forbidden()
        cadre = services.cadre_code_rotate(cadre=cadre, actor=request.user)
        return Response(self.OutputSerializer(cadre).data)


class UnitBadgesPdfView(APIView):
    """GET /units/{id}/badges.pdf: a printable A4 sheet of the unit's badges, 8 a page."""

    permission_classes = [HasRole(Role.UNIT_ADMIN, Role.DISTRICT_ADMIN)]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        unit = or_404(selectors.units_list().filter(pk=pk).first())
        if not permissions.can_manage_unit(user=request.user, unit_id=unit.pk):
            raise Forbidden()
        pdf = qr.badge_sheet_pdf(list(selectors.unit_cadres(unit=unit)))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="badges-unit-{unit.pk}.pdf"'
        return response


# --- Reviews ---------------------------------------------------------------------------


class CadreReviewCreateView(IssuesDeviceToken, APIView):
    """POST /cadres/{id}/reviews: review a cadre whose badge the user just scanned.
    Answers a client without a valid device token with a new one (core.devices)."""

    # The token alone (the review's INSERT checks the reviewer is active), and the
    # user's rate and the review scope in one Redis round trip.
    authentication_classes = [StatelessJWTAuthentication]
    throttle_classes = [UserAndScopeThrottle]
    throttle_scope = "review"

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(
            max_length=512,
            help_text="The badge URL the user scanned, or a service ticket's (then verified).",
        )
        rating = StrictIntegerField(
            min_value=1, max_value=5, help_text="5 very satisfied ... 1 very dissatisfied."
        )
        tags = serializers.ListField(
            child=serializers.ChoiceField(choices=Review.Tag.choices),
            required=False,
            max_length=len(Review.Tag.values),
            default=list,
        )
        comment = serializers.CharField(
            max_length=services.MAX_COMMENT, required=False, allow_blank=True, default=""
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        points_awarded = StrictIntegerField(
            help_text="0 past the day's cap, or for an account whose phone no SMS has "
            "confirmed (made at a service desk from an ID check: the review then waits "
            "for a moderator)."
        )
        verified = serializers.BooleanField(help_text="Submitted through a service ticket.")

    @extend_schema(
        request=InputSerializer,
        parameters=DEVICE_TOKEN_PARAMETERS,
        responses={
            201: OutputSerializer,
            403: error_response(
                "`permission_denied`: a cadre cannot review themselves; "
                "`review_by_colleague`: the user is a cadre or staff of the cadre's unit."
            ),
            404: error_response(
                "`not_found` (no such cadre), `code_invalid` (forged, malformed, or another "
                "cadre's badge), `code_revoked` (a badge replaced by a newer one)."
            ),
            409: error_response(
                "`already_reviewed_today`, `cadre_inactive`, `idempotency_key_in_progress`; "
                "a service ticket: `ticket_used`, `ticket_expired`, `ticket_other_cadre` "
                "(a ticket issued for another cadre)."
            ),
        },
    )
    @idempotent
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The code's cadre is the one loaded; an unknown cadre stays a 404 `not_found`.
        try:
            cadre, ticket = review_target(codes.resolve_as(data.validated_data["code"], "cadre"))
        except (codes.CodeInvalid, codes.CodeRevoked):
            or_404(selectors.cadre_get(pk=pk))
            raise
        if cadre.pk != pk:
            or_404(selectors.cadre_get(pk=pk))
            if ticket is not None:
                raise TicketOtherCadre()
            raise codes.CodeInvalid()
        review = services.review_create(
            cadre=cadre,
            reviewer=request.user,
            rating=data.validated_data["rating"],
            tags=data.validated_data["tags"],
            comment=data.validated_data["comment"],
            device_id=device_id(request),
            address=client_ip(request),
            ticket=ticket,
        )
        return Response(self.OutputSerializer(review).data, status=status.HTTP_201_CREATED)


# --- Service tickets (proof of presence) -----------------------------------------------


class TicketIssueView(APIView):
    """POST /cadre/tickets: a one-time service ticket (the signed-in cadre's own; a unit
    admin's service window passes `cadre`), valid SERVICE_TICKET_HOURS."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        cadre = StrictIntegerField(
            min_value=1,
            max_value=MAX_INT,
            required=False,
            help_text="The cadre served (a unit admin's window); default: the signed-in cadre.",
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        code_url = ComputedCharField(ticket_url)
        qr_png_url = ComputedURLField(
            lambda ticket, context: context["request"].build_absolute_uri(
                reverse("cadre-ticket-qr", kwargs={"pk": ticket.pk})
            ),
            with_context=True,
        )
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            403: error_response(
                "`permission_denied`: not linked to a cadre, or not the admin of the cadre's unit."
            ),
            404: error_response("`not_found`: no such cadre."),
            409: error_response("`cadre_inactive`."),
            429: error_response("`throttled`: THROTTLE_TICKET tickets per cadre."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "cadre" in data.validated_data:
            cadre = or_404(selectors.cadre_get(pk=data.validated_data["cadre"]))
        else:
            cadre = selectors.cadre_of_user(user=request.user)
            if cadre is None:
                raise Forbidden()
        if not permissions.can_issue_ticket(user=request.user, cadre=cadre):
            raise Forbidden()
        # Per cadre, whoever issues: the window and the cadre share the budget.
        wait = throttles.ticket_refused(cadre_id=cadre.pk)
        if wait is not None:
            self.throttled(request, wait)
        ticket = services.ticket_issue(cadre=cadre, issued_by=request.user)
        body = self.OutputSerializer(ticket, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TicketQrPngView(APIView):
    """GET /cadre/tickets/{id}/qr.png: the ticket's code, to its issuer and its cadre."""

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            404: error_response("`not_found`: no such ticket, or not yours."),
        }
    )
    def get(self, request, pk):
        ticket = or_404(selectors.ticket_get(pk=pk))
        # Someone else's ticket is as absent as a missing one.
        or_404(permissions.can_see_ticket(user=request.user, ticket=ticket) or None)
        return HttpResponse(qr.ticket_png(ticket), content_type="image/png")


# --- A cadre's history -----------------------------------------------------------------


class CadreHistoryEntrySerializer(serializers.Serializer):
    month = serializers.CharField(source="ranking.label", help_text="YYYY-MM")
    rank = StrictIntegerField(allow_null=True, help_text="Across the district.")
    unit_rank = StrictIntegerField(allow_null=True, help_text="Within the cadre's unit.")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="null without reviews."
    )
    reviews = StrictIntegerField()
    verified_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Reviews through a service ticket / reviews."
    )
    bottom = serializers.BooleanField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.reviews:
            data["score"] = None
        return data


class CadreHistoryView(APIView):
    """GET /cadres/{id}/history: the cadre's line in each of the last 12 published months,
    newest first (not paginated: at most 12). Public; never a reviewer."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        cadre = CadreSerializer()
        months = CadreHistoryEntrySerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer, 404: error_response("`not_found`: no such cadre.")}
    )
    def get(self, request, pk):
        cadre = or_404(selectors.cadre_get(pk=pk))
        history = selectors.CadreHistory(cadre=cadre, months=selectors.cadre_history(cadre=cadre))
        return Response(self.OutputSerializer(history, context={"request": request}).data)


class MyReviewSerializer(serializers.Serializer):
    id = StrictIntegerField()
    cadre = CadreSerializer()
    rating = StrictIntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    points_awarded = StrictIntegerField()
    response = ResponseBodySerializer(allow_null=True)
    appeal = ReviewAppealSerializer(allow_null=True, help_text="The cadre's appeal, if any.")


class ReviewMineView(APIView):
    """GET /reviews/mine: the user's own reviews, newest first, with any answer."""

    @extend_schema(**paginated(MyReviewSerializer, operation_id="reviews_mine_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.reviews_mine(user=request.user),
            serialize=lambda r: MyReviewSerializer(r, context={"request": request}).data,
        )


class CadreReviewSerializer(serializers.Serializer):
    """A review as the cadre sees it: never who wrote it."""

    id = StrictIntegerField()
    rating = StrictIntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    needs_response = ComputedBooleanField(
        lambda review: review.rating <= 2 and review.responded_at is None
    )
    overdue = ComputedBooleanField(lambda review: review.overdue_at is not None)
    response = ResponseBodySerializer(allow_null=True)
    appeal = ReviewAppealSerializer(allow_null=True, help_text="The appeal against it, if any.")


class CadreMyReviewsView(APIView):
    """GET /cadre/reviews: reviews of the signed-in cadre, without reviewer identity."""

    permission_classes = [HasRole(Role.CADRE)]

    @extend_schema(
        operation_id="cadre_reviews_list",
        parameters=PAGE_PARAMETERS,
        responses={
            **paginated(CadreReviewSerializer)["responses"],
            403: error_response("`permission_denied`: the user is not linked to a cadre."),
        },
    )
    def get(self, request):
        cadre = selectors.cadre_of_user(user=request.user)
        if cadre is None:
            raise Forbidden()
        return paginate(
            view=self,
            request=request,
            queryset=selectors.reviews_of_cadre(cadre=cadre),
            serialize=lambda review: CadreReviewSerializer(review).data,
        )


class ReviewRespondView(APIView):
    """POST /reviews/{id}/response: the cadre (or its unit_admin) answers a review, once."""

    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(max_length=services.MAX_RESPONSE)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: CadreReviewSerializer,
            403: error_response("`permission_denied`: not the cadre nor its unit's admin."),
            409: error_response("`already_responded`."),
        },
    )
    def post(self, request, pk):
        review = or_404(selectors.review_get(pk=pk))
        if not permissions.can_answer(user=request.user, review=review):
            raise Forbidden()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_respond(
            review=review, responder=request.user, message=data.validated_data["message"]
        )
        return Response(CadreReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewVerdictView(APIView):
    """POST /reviews/{id}/verdict: the reviewer accepts or rejects the answer, once."""

    class InputSerializer(serializers.Serializer):
        accepted = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        response = ResponseBodySerializer()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            403: error_response("`permission_denied`: only the reviewer gives a verdict."),
            409: error_response("`not_responded` (no answer yet), `verdict_already_given`."),
        },
    )
    def post(self, request, pk):
        review = or_404(selectors.review_get(pk=pk))
        if not permissions.is_reviewer_of(user=request.user, review=review):
            raise Forbidden(_("Only the reviewer can accept or reject the answer."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_verdict(
            review=review, reviewer=request.user, accepted=data.validated_data["accepted"]
        )
        return Response(self.OutputSerializer(review).data)


# --- Rankings --------------------------------------------------------------------------

CACHE_SECONDS = publication.MAX_AGE


def _public_cache(response):
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


class MonthPagination(CursorPagination):
    ordering = "-month"


class RankingVersionSerializer(serializers.Serializer):
    """One publication of a month: version 1 on the 1st, then each correction."""

    version = StrictIntegerField()
    published_at = serializers.DateTimeField()
    corrected_at = serializers.DateTimeField(allow_null=True)
    digest = serializers.CharField()
    previous_digest = serializers.CharField(
        help_text="Version 1: the digest of a version of the month before; version n: "
        "the digest of version n - 1."
    )
    excluded_reviews = StrictIntegerField(
        help_text="Reviews of the month excluded since the version before (0 for version 1)."
    )


class RankingMonthListView(APIView):
    """GET /rankings: the published months, newest first (each as its latest version)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        month = serializers.CharField(source="label", help_text="YYYY-MM")
        published_at = serializers.DateTimeField()
        version = StrictIntegerField(help_text="The latest version (1: no correction).")
        digest = serializers.CharField()
        previous_digest = serializers.CharField()

    @extend_schema(**paginated(OutputSerializer, operation_id="rankings_list"))
    def get(self, request):
        return _public_cache(
            paginate(
                view=self,
                request=request,
                queryset=selectors.published_months(),
                serialize=lambda ranking: self.OutputSerializer(ranking).data,
                pagination_class=MonthPagination,
            )
        )


class RankingUnitRefSerializer(serializers.Serializer):
    id = StrictIntegerField(source="unit_id")
    name = serializers.CharField(source="unit_name")


class ExcludedCountsSerializer(serializers.Serializer):
    """How many of the month's reviews were left out of the figures, by ground."""

    colleague = StrictIntegerField(source="excluded_colleague")
    appeal = StrictIntegerField(source="excluded_appeal")
    fraud = StrictIntegerField(source="excluded_fraud")

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)


class RankingEntrySerializer(serializers.Serializer):
    """One stored RankingEntry as the API shows it."""

    rank = StrictIntegerField(allow_null=True)
    name = serializers.CharField()
    unit = RankingUnitRefSerializer(source="*")
    cadre_id = StrictIntegerField(allow_null=True)
    reviews = StrictIntegerField()
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    rejection_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="null for a unit or cadre without reviews in the month (listed last).",
    )
    bottom = serializers.BooleanField()
    verified_share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="Reviews through a service ticket (proof of presence) / reviews; 0 without.",
    )
    excluded = ExcludedCountsSerializer(
        help_text="Reviews of the month not counted (colleague, upheld appeal, fraud)."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Without reviews there is nothing to score (the stored 40.00 is what the
        # formulas give for no reviews, kept for the digest).
        if not instance.reviews:
            data["score"] = None
        return data


def ranking_cursor(offset: int) -> str:
    """The opaque `cursor` of `next` and `previous`: an offset into the month's list."""
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode()


def ranking_offset(cursor: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not decoded.startswith("o="):
        return None
    return parse_int(decoded.removeprefix("o="), min_value=0, max_value=999_999)


def _page_url(offset: int | None, context) -> str | None:
    return None if offset is None else context["page_url"](offset)


class RankingMonthView(APIView):
    """GET /rankings/{YYYY-MM}: one published month, in one scope, as its latest version
    (`?version=N`: that version) with the list of every version.

    A published month is frozen: each body is rendered once (this serializer, DRF's JSON
    renderer) and served as stored bytes with an ETag (cadres.publication), on a hit by
    cadres.middleware before the URLs are resolved and DRF wraps the request. No
    throttle on the stored bytes: one Redis GET is cheaper than counting the address
    (also a Redis call) would be, and the public Cache-Control lets any proxy absorb a
    flood. The throttle guards what reads the database: a miss (first hit, unknown
    month or unit, Redis down)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []
    miss_throttle_classes = [AnonRateThrottle]

    class QuerySerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=["unit", "cadre"], default="unit", required=False)
        unit = StrictIntegerField(min_value=1, max_value=MAX_INT, required=False)
        cursor = serializers.CharField(max_length=40, required=False)
        page_size = StrictIntegerField(
            min_value=1, max_value=CursorPagination.max_page_size, required=False
        )
        version = StrictIntegerField(min_value=1, max_value=32767, required=False)

        def validate_cursor(self, value):
            offset = ranking_offset(value)
            if offset is None:
                raise serializers.ValidationError(_("Invalid cursor."))
            return offset

    class OutputSerializer(serializers.Serializer):
        month = serializers.CharField(source="ranking.label")
        published_at = serializers.DateTimeField(source="ranking.published_at")
        scope = serializers.CharField()
        unit = UnitRefSerializer(allow_null=True, required=False)
        version = StrictIntegerField(source="ranking.version")
        corrected_at = serializers.DateTimeField(source="ranking.corrected_at", allow_null=True)
        excluded_reviews = StrictIntegerField(
            source="ranking.excluded_reviews",
            help_text="Reviews excluded since the version before (0 for version 1).",
        )
        digest = serializers.CharField(source="ranking.digest")
        previous_digest = serializers.CharField(source="ranking.previous_digest")
        verified_only = serializers.BooleanField(
            source="ranking.verified_only",
            help_text="Only reviews through a service ticket counted (RANKINGS_VERIFIED_ONLY).",
        )
        versions = RankingVersionSerializer(many=True)
        entries = RankingEntrySerializer(many=True)
        next = ComputedURLField(
            lambda page, context: _page_url(page.next_offset, context),
            with_context=True,
            allow_null=True,
            help_text="scope=cadre without unit: the next page, or null.",
        )
        previous = ComputedURLField(
            lambda page, context: _page_url(page.previous_offset, context),
            with_context=True,
            allow_null=True,
            help_text="scope=cadre without unit: the previous page, or null.",
        )

    @staticmethod
    def stored_key(request, month: str) -> str:
        """The stored body's key, from the query as sent (a key is only ever stored by a
        request that passed validation); cadres.middleware looks it up before this view."""
        params = request.GET
        scope, unit = params.get("scope"), params.get("unit")
        key = (
            f"{month}:{scope}:{unit}:{params.get('cursor')}:{params.get('page_size')}"
            f":{params.get('version')}"
        )
        if scope == "cadre" and unit is None:
            # The page's URLs are absolute, as in every list: one stored body per origin.
            key = f"{key}:{request.scheme}://{request.get_host()}"
        # Hashed: the query is the client's text, of any length and characters.
        return "api:" + hashlib.sha256(key.encode()).hexdigest()[:32]

    @extend_schema(
        description=(
            "`scope=unit` and `scope=cadre&unit=ID` give the whole list. `scope=cadre` "
            "alone is paginated in rank order: `page_size` entries (default "
            f"{CursorPagination.page_size}, at most {CursorPagination.max_page_size}) and "
            "`next` / `previous` URLs beside `entries` (null at either end); follow `next` "
            "to reach every entry once, in order. Bodies carry an ETag and Last-Modified "
            "(304 on If-None-Match / If-Modified-Since)."
        ),
        parameters=[
            OpenApiParameter("scope", str, enum=["unit", "cadre"], description="Default unit."),
            OpenApiParameter("unit", int, description="With scope=cadre: that unit's cadres."),
            OpenApiParameter("cursor", str, description="scope=cadre: from `next` or `previous`."),
            OpenApiParameter(
                "version",
                int,
                description="A version of the month (see `versions`); the latest by default.",
            ),
            OpenApiParameter(
                "page_size",
                int,
                description=(
                    f"scope=cadre: 1 to {CursorPagination.max_page_size}; "
                    f"{CursorPagination.page_size} by default."
                ),
            ),
        ],
        responses={
            200: OutputSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match, If-Modified-Since)."),
            400: error_response(
                "`invalid`: a bad scope, unit, cursor or page_size; unit without scope=cadre."
            ),
            404: error_response(
                "`not_found`: a month that is unknown, malformed or unpublished; a version "
                "that was not published; a unit without cadres in it; a cursor past the "
                "last entry."
            ),
            429: error_response("`throttled`: too many reads that had to go to the database."),
        },
    )
    def get(self, request, month):
        first_day = or_404(rankings.parse_month(month))
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = query.validated_data.get("scope") or "unit"
        unit_id = query.validated_data.get("unit")
        offset = query.validated_data.get("cursor")
        page_size = query.validated_data.get("page_size")
        version = query.validated_data.get("version")
        if unit_id is not None and scope != "cadre":
            raise Invalid(fields={"unit": [_("Use unit with scope=cadre.")]})
        paged = scope == "cadre" and unit_id is None
        if not paged and (offset is not None or page_size is not None):
            field = "cursor" if offset is not None else "page_size"
            raise Invalid(fields={field: [_("Only scope=cadre without unit is paginated.")]})
        if paged:
            offset = offset or 0
            size = page_size or CursorPagination.page_size

        def page_url(at: int) -> str:
            params = {"scope": "cadre", "cursor": ranking_cursor(at)}
            if size != CursorPagination.page_size:
                params["page_size"] = size
            if version is not None:
                params["version"] = version
            return f"{request.build_absolute_uri(request.path)}?{urlencode(params)}"

        def build():
            for throttle in (cls() for cls in self.miss_throttle_classes):
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            ranking = selectors.published_month(month=first_day, version=version)
            if ranking is None:
                return None
            page = selectors.ranking_page(
                ranking=ranking,
                scope=scope,
                unit_id=unit_id,
                offset=offset,
                size=size if paged else None,
            )
            if page is None:
                return None
            body = self.OutputSerializer(page, context={"page_url": page_url}).data
            return publication.rendering(
                JSONRenderer().render(body),
                content_type="application/json",
                last_modified=ranking.published_at,
            )

        key = self.stored_key(request, month)
        found = publication.stored(key, build, request=request)
        return publication.respond(request, or_404(found))


# --- Appeals ---------------------------------------------------------------------------


class AppealSerializer(serializers.Serializer):
    """An appeal as the cadre and the unit see it: never who reviewed, nor who decided."""

    id = StrictIntegerField()
    review = StrictIntegerField(source="review_id")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Appeal.Status.choices)
    due_at = serializers.DateTimeField(help_text="The end of the 5th working day after it.")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    outcome = ComputedCharField(
        _outcome, allow_null=True, help_text="`upheld` or `dismissed`; null while pending."
    )
    decision_reason = serializers.CharField(help_text="Why it was decided so; empty while pending.")


class AppealReviewSerializer(serializers.Serializer):
    """The appealed review, for the deciders: what was said and when, never by whom."""

    id = StrictIntegerField()
    rating = StrictIntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    cadre = CadreSerializer()
    response = ResponseBodySerializer(allow_null=True)


class AppealQueueSerializer(AppealSerializer):
    review = AppealReviewSerializer()
    overdue = ComputedBooleanField(
        lambda appeal, context: (
            appeal.status == Appeal.Status.PENDING and appeal.due_at < context["now"]
        ),
        with_context=True,
    )


class ReviewAppealCreateView(APIView):
    """POST /reviews/{id}/appeal: the cadre (or its unit_admin) appeals a review."""

    throttle_classes = [UserRateThrottle, ScopedThrottle]
    throttle_scope = "appeal"

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            min_length=services.MIN_APPEAL_REASON, max_length=services.MAX_APPEAL_REASON
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: AppealSerializer,
            400: error_response(
                "`invalid`: a reason of fewer than 10 or more than 500 characters."
            ),
            403: error_response("`permission_denied`: not the cadre nor its unit's admin."),
            404: error_response("`not_found`: no such review."),
            409: error_response(
                "`appeal_exists` (one appeal per review), `appeal_window_closed` (the review "
                "is more than 7 days old)."
            ),
            429: error_response("`throttled`."),
        },
    )
    def post(self, request, pk):
        review = or_404(selectors.review_get(pk=pk))
        if not permissions.can_appeal(user=request.user, review=review):
            raise Forbidden()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_create(
            review=review, appellant=request.user, reason=data.validated_data["reason"]
        )
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class CadreAppealListView(APIView):
    """GET /cadre/appeals: the signed-in cadre's appeals (a unit_admin: its units')."""

    permission_classes = [HasRole(Role.CADRE, Role.UNIT_ADMIN)]

    @extend_schema(
        operation_id="cadre_appeals_list",
        parameters=PAGE_PARAMETERS,
        responses={
            **paginated(AppealSerializer)["responses"],
            403: error_response("`permission_denied`: neither a cadre nor a unit admin."),
        },
    )
    def get(self, request):
        units = selectors.unit_ids_for(user=request.user, role=Role.UNIT_ADMIN)
        if units:
            queryset = selectors.appeals_of_units(unit_ids=units)
        else:
            cadre = selectors.cadre_of_user(user=request.user)
            if cadre is None:
                raise Forbidden()
            queryset = selectors.appeals_of_cadre(cadre=cadre)
        return paginate(
            view=self,
            request=request,
            queryset=queryset,
            serialize=lambda appeal: AppealSerializer(appeal).data,
        )


class AppealQueuePagination(CursorPagination):
    ordering = ("due_at", "pk")


class AppealListView(APIView):
    """GET /appeals?state=pending|overdue|decided: the appeals to decide (appeal_reviewer,
    district_admin); the review without its reviewer."""

    permission_classes = [HasRole(Role.APPEAL_REVIEWER, Role.DISTRICT_ADMIN)]

    class QuerySerializer(serializers.Serializer):
        state = serializers.ChoiceField(
            choices=selectors.APPEAL_STATES, default="pending", required=False
        )

    @extend_schema(
        operation_id="appeals_list",
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=list(selectors.APPEAL_STATES),
                description="pending (default, due first), overdue (pending past due_at), "
                "decided (newest first).",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={
            **paginated(AppealQueueSerializer)["responses"],
            400: error_response("`invalid`: an unknown state."),
            403: error_response("`permission_denied`: not an appeal reviewer."),
        },
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        state = query.validated_data.get("state") or "pending"
        now = timezone.now()
        return paginate(
            view=self,
            request=request,
            queryset=selectors.appeals_queue(state=state, now=now),
            serialize=lambda appeal: (
                AppealQueueSerializer(appeal, context={"request": request, "now": now}).data
            ),
            pagination_class=CursorPagination if state == "decided" else AppealQueuePagination,
        )


class AppealDecideView(APIView):
    """POST /appeals/{id}/decide: an appeal_reviewer outside the cadre's unit decides, once."""

    permission_classes = [HasRole(Role.APPEAL_REVIEWER)]

    class InputSerializer(serializers.Serializer):
        upheld = serializers.BooleanField()
        reason = serializers.CharField(max_length=services.MAX_DECISION_REASON)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AppealSerializer,
            400: error_response("`invalid`: upheld missing, a reason missing or too long."),
            403: error_response(
                "`permission_denied`: not an appeal reviewer; `own_case_author`: wrote the "
                "review or the appeal; `own_case_subject`: the cadre; `own_case_unit`: of the "
                "cadre's unit."
            ),
            404: error_response("`not_found`: no such appeal."),
            409: error_response("`appeal_already_decided`."),
        },
    )
    def post(self, request, pk):
        appeal = or_404(selectors.appeal_get(pk=pk))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_decide(
            appeal=appeal,
            decider=request.user,
            upheld=data.validated_data["upheld"],
            reason=data.validated_data["reason"],
        )
        return Response(AppealSerializer(appeal).data)
