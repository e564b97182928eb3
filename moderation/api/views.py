"""Moderation's API: appeals (made by the cadre or its unit, listed, decided)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasRole
from accounts.roles import Role
from cadres import selectors as cadres_selectors
from cadres.api.access import own_cadre, review_for
from cadres.api.serializers import CadreSerializer, ResponseBodySerializer, appeal_outcome
from core.errors import or_404
from core.pagination import PAGE_PARAMETERS, CursorPagination, paginate, paginated
from core.schema import error_response
from core.serializers import (
    ComputedBooleanField,
    ComputedCharField,
    StrictIntegerField,
)
from core.throttling import (
    ScopedThrottle,
    UserRateThrottle,
)

from .. import permissions, selectors, services
from ..models import Appeal

# --- Appeals ---------------------------------------------------------------------------


class AppealSerializer(serializers.Serializer):
    """An appeal as the cadre and the unit see it: never who reviewed, nor who decided."""

    id = StrictIntegerField()
    # Typed as any Field: AppealQueueSerializer replaces the id with the review itself.
    review: serializers.Field = StrictIntegerField(source="review_id")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Appeal.Status.choices)
    due_at = serializers.DateTimeField(help_text="The end of the 5th working day after it.")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    outcome = ComputedCharField(
        appeal_outcome, allow_null=True, help_text="`upheld` or `dismissed`; null while pending."
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
        review = review_for(pk=pk, user=request.user, allowed=permissions.can_appeal)
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
        units = cadres_selectors.unit_ids_for(user=request.user, role=Role.UNIT_ADMIN)
        if units:
            queryset = selectors.appeals_of_units(unit_ids=units)
        else:
            queryset = selectors.appeals_of_cadre(cadre=own_cadre(user=request.user))
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
