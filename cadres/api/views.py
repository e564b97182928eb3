"""The cadres API of API.md: units, badges, reviews and answers, service tickets."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import StatelessJWTAuthentication
from accounts.consent import consent_require
from accounts.permissions import HasRole
from accounts.roles import Role
from core import codes, metrics
from core.devices import IssuesDeviceToken, device_id
from core.errors import Forbidden, or_404
from core.idempotency import idempotent
from core.net import client_ip
from core.pagination import PAGE_PARAMETERS, paginate, paginated
from core.schema import DEVICE_TOKEN_PARAMETERS, error_response
from core.serializers import (
    ComputedBooleanField,
    ComputedCharField,
    ComputedURLField,
    StrictIntegerField,
)
from core.throttling import (
    AnonRateThrottle,
    UserAndScopeThrottle,
    UserRateThrottle,
)

from .. import permissions, qr, selectors, services, throttles
from ..codes import badge_url, review_target, ticket_url
from ..errors import TicketOtherCadre
from ..models import Review
from .access import own_cadre, review_for
from .serializers import (
    CadreSerializer,
    ResponseBodySerializer,
    ReviewAppealSerializer,
    UnitRefSerializer,
)

MAX_INT = 2**31 - 1
# Counted in the process (no SQL statement): core/metrics.py.
REVIEWS = metrics.counter(
    "duoduo_reviews", "Review submissions by outcome: created, or the error code.", ("outcome",)
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
    @metrics.counts_outcomes(REVIEWS, done="created")
    def post(self, request, pk):
        consent_require(user=request.user)  # the user row auth loaded: no query
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
            cadre = own_cadre(user=request.user)
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
        return paginate(
            view=self,
            request=request,
            queryset=selectors.reviews_of_cadre(cadre=own_cadre(user=request.user)),
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
        review = review_for(pk=pk, user=request.user, allowed=permissions.can_answer)
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
        review = review_for(
            pk=pk,
            user=request.user,
            allowed=permissions.is_reviewer_of,
            refusal=_("Only the reviewer can accept or reject the answer."),
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_verdict(
            review=review, reviewer=request.user, accepted=data.validated_data["accepted"]
        )
        return Response(self.OutputSerializer(review).data)
