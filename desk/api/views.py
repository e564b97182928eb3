"""The service desk API (docs/assisted-desk.md): a desk_agent's sessions and the acts
filed in them, and GET /me/assisted for the resident. The acts call the services the
resident's own endpoints call, so their rules, errors and bodies are the same."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import PhoneField
from accounts.permissions import HasRole
from accounts.roles import Role
from cadres.models import Review
from cadres.services import MAX_COMMENT
from core import codes
from core.errors import Forbidden, or_404
from core.idempotency import idempotent
from core.masking import mask_name, mask_phone
from core.net import client_ip
from core.pagination import paginate, paginated
from core.parsers import UPLOAD_PARSERS
from core.photos import validate_photo
from core.schema import error_response
from core.serializers import ComputedCharField, StrictIntegerField
from core.throttling import UserRateThrottle
from points.api.views import MoralClaimOutputSerializer
from points.models import MoralCategory
from stalls.api.views import RegistrationsView
from stalls.models import GoodsCategory

from .. import permissions, selectors, services
from ..models import AssistedAct, DeskSession

AGENTS = HasRole(Role.DESK_AGENT)

SESSION_ERRORS = {
    403: error_response("`permission_denied`: not a desk agent, or another agent's session."),
    404: error_response("`not_found`: no such session."),
}
ACT_ERRORS = {
    **SESSION_ERRORS,
    403: error_response(
        "`permission_denied`: not a desk agent, or another agent's session; "
        "`own_case_subject`: a session for oneself."
    ),
    409: error_response(
        "`desk_session_not_confirmed`, `desk_session_expired`, `desk_daily_limit` "
        "(DESK_DAILY_LIMIT acts a day per agent), and the codes of the resident's own "
        "endpoint."
    ),
}


def _own_session(request, pk: int) -> DeskSession:
    session = or_404(selectors.session_get(pk=pk))
    if not permissions.is_agent_of(user=request.user, session=session):
        raise Forbidden()
    return session


class DeskSessionSerializer(serializers.Serializer):
    id = StrictIntegerField()
    phone_masked = ComputedCharField(lambda session: mask_phone(session.phone))
    status = serializers.ChoiceField(choices=DeskSession.Status.choices)
    method = serializers.CharField(help_text="`sms`, `id_check`, or empty until confirmed.")
    centre = serializers.CharField()
    resident_name = ComputedCharField(
        lambda session: session.resident.display_name if session.resident_id else None,
        allow_null=True,
        help_text="The resident's display name once confirmed.",
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        source="deadline",
        help_text="Awaiting: until when the resident may confirm; then until when acts are taken.",
    )

    class Meta:
        ref_name = "DeskSession"


class DeskSessionListView(APIView):
    """POST /desk/sessions: open a session for a resident's phone (texts them a desk code).
    GET /desk/sessions: the agent's own sessions, newest first."""

    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        phone = PhoneField(help_text="The resident's phone (E.164).")
        centre = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            default="",
            help_text="The community service centre, shown to the resident in /me/assisted.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: DeskSessionSerializer,
            403: error_response(
                "`permission_denied`: not a desk agent; `own_case_subject`: one's own phone."
            ),
            429: error_response("`throttled`: the sign-in code limits of the phone or address."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.desk_session_start(
            agent=request.user, address=client_ip(request), **data.validated_data
        )
        return Response(DeskSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(**paginated(DeskSessionSerializer, operation_id="desk_sessions_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.sessions_of_agent(agent=request.user).select_related("resident"),
            serialize=lambda session: DeskSessionSerializer(session).data,
        )


class DeskSessionDetailView(APIView):
    """GET /desk/sessions/{id}: one of the agent's sessions."""

    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    @extend_schema(responses={200: DeskSessionSerializer, **SESSION_ERRORS})
    def get(self, request, pk):
        return Response(DeskSessionSerializer(_own_session(request, pk)).data)


class IdCheckSerializer(serializers.Serializer):
    """What the agent read from the resident's ID card."""

    id_number = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=50)
    id_consent = serializers.BooleanField(
        default=False,
        help_text="The resident consented (on paper, at the counter) to give the ID-card "
        "number (docs/privacy.md); without it 409 `consent_required`.",
    )

    class Meta:
        ref_name = "DeskIdCheck"


class DeskSessionConfirmView(APIView):
    """POST /desk/sessions/{id}/confirm: the resident's desk code, or an ID check."""

    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        code = serializers.RegexField(
            r"^[0-9]{6}$",
            required=False,
            help_text="The 6-digit code the resident reads back from the SMS.",
        )
        id_check = IdCheckSerializer(
            required=False,
            help_text=(
                "`{id_number, name}` from the resident's ID card, checked in person: for a "
                "resident without the phone (docs/assisted-desk.md). Only a keyed hash and "
                "the last 4 characters are kept."
            ),
        )

        def validate(self, attrs):
            if ("code" in attrs) == ("id_check" in attrs):
                raise serializers.ValidationError(_("Send either the code or the ID check."))
            return attrs

    @extend_schema(
        request={"application/json": InputSerializer},
        responses={
            200: DeskSessionSerializer,
            400: error_response(
                "`invalid`, or `otp_invalid`: wrong, expired or voided code. A wrong ID "
                "number (its check digit) is `invalid` on `id_check.id_number`."
            ),
            **SESSION_ERRORS,
            409: error_response(
                "`desk_session_expired`, `desk_session_already_confirmed`, "
                "`desk_id_check_refused` (an account with a phone that no earlier ID check "
                "bound to this card: ask for the code)."
            ),
        },
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _own_session(request, pk)
        if "code" in data.validated_data:
            session = services.desk_session_confirm_code(
                session_id=pk, code=data.validated_data["code"], address=client_ip(request)
            )
        else:
            session = services.desk_session_confirm_id(
                session_id=pk, **data.validated_data["id_check"]
            )
        return Response(DeskSessionSerializer(session).data)


class DeskSessionCloseView(APIView):
    """POST /desk/sessions/{id}/close: the resident has left; no more acts."""

    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    @extend_schema(request=None, responses={200: DeskSessionSerializer, **SESSION_ERRORS})
    def post(self, request, pk):
        _own_session(request, pk)
        return Response(DeskSessionSerializer(services.desk_session_close(session_id=pk)).data)


class AssistedReviewView(APIView):
    """POST /desk/sessions/{id}/reviews: the resident's review of a cadre, filed by the
    agent (marked assisted; the points go to the resident)."""

    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=512, help_text="The cadre's badge URL, scanned.")
        rating = StrictIntegerField(min_value=1, max_value=5)
        tags = serializers.ListField(
            child=serializers.ChoiceField(choices=Review.Tag.choices),
            required=False,
            max_length=len(Review.Tag.values),
            default=list,
        )
        comment = serializers.CharField(
            max_length=MAX_COMMENT, required=False, allow_blank=True, default=""
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        points_awarded = StrictIntegerField()
        assisted = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            403: error_response(
                "`permission_denied`: not a desk agent, or another agent's session; "
                "`own_case_subject`: a review of oneself, or a session for oneself."
            ),
            404: error_response("`not_found`, `code_invalid`, `code_revoked`."),
            409: error_response(
                "`desk_session_not_confirmed`, `desk_session_expired`, `desk_daily_limit`, "
                "`already_reviewed_today`, `cadre_inactive`, `idempotency_key_in_progress`."
            ),
        },
    )
    @idempotent
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _own_session(request, pk)
        values = dict(data.validated_data)
        cadre = codes.resolve_as(values.pop("code"), "cadre")
        review = services.assisted_review_create(
            session_id=pk, agent=request.user, cadre=cadre, address=client_ip(request), **values
        )
        return Response(self.OutputSerializer(review).data, status=status.HTTP_201_CREATED)


class AssistedMoralClaimView(APIView):
    """POST /desk/sessions/{id}/moral-claims: the resident's moral points claim."""

    parser_classes = UPLOAD_PARSERS
    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        category = serializers.SlugRelatedField(
            slug_field="code", queryset=MoralCategory.objects.filter(active=True)
        )
        description = serializers.CharField(max_length=2000)
        occurred_on = serializers.DateField()
        photo = serializers.ImageField(required=False, validators=[validate_photo])

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: MoralClaimOutputSerializer, **ACT_ERRORS},
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _own_session(request, pk)
        claim = services.assisted_moral_claim_create(
            session_id=pk, agent=request.user, **data.validated_data
        )
        return Response(MoralClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)


class AssistedRegistrationView(APIView):
    """POST /desk/sessions/{id}/stall-registrations: a vendor's stall registration."""

    parser_classes = UPLOAD_PARSERS
    permission_classes = [AGENTS]
    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        site_code = serializers.CharField(max_length=512, help_text="The site URL scanned.")
        vendor_name = serializers.CharField(max_length=50)
        id_number = serializers.CharField(max_length=32)
        goods_category = serializers.ChoiceField(choices=GoodsCategory.choices)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)
        photo = serializers.ImageField(required=False)
        waitlist = serializers.BooleanField(default=False)
        id_consent = serializers.BooleanField(
            default=False,
            help_text="The resident consented (on paper, at the counter) to give the ID-card "
            "number (docs/privacy.md); without it 409 `consent_required`.",
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            201: RegistrationsView.OutputSerializer,
            **SESSION_ERRORS,
            404: error_response("`not_found`; `code_invalid`, `code_revoked`: the site code."),
            409: error_response(
                "`desk_session_not_confirmed`, `desk_session_expired`, `desk_daily_limit`, "
                "`site_full`, `registration_exists`."
            ),
        },
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _own_session(request, pk)
        values = dict(data.validated_data)
        site = codes.resolve_as(values.pop("site_code"), "site")
        registration = services.assisted_registration_create(
            session_id=pk, agent=request.user, site=site, **values
        )
        return Response(
            RegistrationsView.OutputSerializer(registration).data, status=status.HTTP_201_CREATED
        )


class AssistedActSerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = serializers.ChoiceField(choices=AssistedAct.Kind.choices)
    object_id = StrictIntegerField(
        help_text="The review, moral claim, stall registration or account the act created."
    )
    agent_name = ComputedCharField(
        lambda act: mask_name(act.agent.display_name) or mask_phone(act.agent.phone),
        help_text="The agent, masked.",
    )
    centre = serializers.CharField(source="session.centre")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "AssistedAct"


class AssistedMineView(APIView):
    """GET /me/assisted: what desk agents filed for the signed-in resident."""

    throttle_classes = [UserRateThrottle]

    @extend_schema(**paginated(AssistedActSerializer, operation_id="me_assisted_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.acts_for_resident(resident=request.user),
            serialize=lambda act: AssistedActSerializer(act).data,
        )
