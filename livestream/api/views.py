"""The livestream duty's API: the catalogue, sessions and their outcome, income and its
transfer to public welfare, the inspector's confirmation, compliance, the public summary."""

from decimal import Decimal
from operator import itemgetter

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cadres.models import Cadre, Unit
from core.errors import Forbidden, Invalid, or_404
from core.pagination import PAGE_PARAMETERS, CursorPagination, paginate, paginated
from core.parsers import UPLOAD_PARSERS
from core.schema import error_response
from core.serializers import (
    ComputedCharField,
    ComputedDecimalField,
    ComputedIntegerField,
    ComputedRowsField,
    PrimaryKeyRelatedField,
    RowsField,
    StrictIntegerField,
)
from core.throttling import AnonRateThrottle, UserRateThrottle

from .. import permissions, selectors, services
from ..models import Income, Platform, Product, Transfer

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = ("pdf", "jpg", "jpeg", "png", "webp")
MAX_ID = 2**63 - 1
BAD_QUARTER = error_response("`quarter` is not YYYYQn (`invalid`).")
FORBIDDEN = error_response("`permission_denied`: not in your scope or role.")
FORBIDDEN_TRANSFER = error_response(
    "`permission_denied`: not a discipline inspector; `own_case_subject`: one's own income; "
    "`own_case_host`: a host of the session; `own_case_recorder`: recorded the transfer or "
    "the income."
)
EVIDENCE_RESPONSES = {
    (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
    403: FORBIDDEN,
}


def _evidence_check(upload):
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in EVIDENCE_TYPES:
        raise serializers.ValidationError(_("Evidence must be a PDF or an image."))
    if upload.size > EVIDENCE_MAX_BYTES:
        raise serializers.ValidationError(_("Evidence must be 10 MB or smaller."))


def _quarter(request):
    text = request.query_params.get("quarter")
    if text is None:
        return selectors.current_quarter()
    quarter = selectors.parse_quarter(text)
    if quarter is None:
        raise Invalid(fields={"quarter": [_("Write the quarter as YYYYQn, e.g. 2026Q1.")]})
    return quarter


def _evidence_response(field):
    or_404(field or None)
    # A download, never rendered by the browser: whatever was uploaded stays inert.
    response = FileResponse(
        default_storage.open(field.name, "rb"), content_type="application/octet-stream"
    )
    extension = field.name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="evidence.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


class CadreRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    rank = serializers.CharField()
    unit = RefSerializer()


class OutcomeSerializer(serializers.Serializer):
    duration_minutes = StrictIntegerField()
    peak_viewers = StrictIntegerField()
    orders = StrictIntegerField()
    sales = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="yuan")
    recorded_at = serializers.DateTimeField(source="outcome_recorded_at")


class SessionSerializer(serializers.Serializer):
    id = StrictIntegerField()
    title = serializers.CharField()
    unit = RefSerializer()
    starts_at = serializers.DateTimeField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    hosts = CadreRefSerializer(many=True, source="hosts.all")
    products = RefSerializer(many=True, source="products.all")
    held = serializers.BooleanField()
    outcome = serializers.SerializerMethodField()

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, session) -> dict | None:
        return OutcomeSerializer(session).data if session.held else None


class IncomeSerializer(serializers.Serializer):
    id = StrictIntegerField()
    session = StrictIntegerField(source="session_id")
    cadre = RefSerializer()
    kind = serializers.ChoiceField(choices=Income.Kind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="yuan")
    received_on = serializers.DateField()
    note = serializers.CharField()
    corrects = StrictIntegerField(source="corrects_id", allow_null=True)
    recorded_at = serializers.DateTimeField()


class TransferSerializer(serializers.Serializer):
    id = StrictIntegerField()
    income = StrictIntegerField(source="income_id")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="yuan")
    fund = serializers.CharField()
    reference = serializers.CharField()
    transferred_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Transfer.Status.choices)
    recorded_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reject_reason = serializers.CharField()


class ProductPagination(CursorPagination):
    """Products in the order they were added, like the catalogue."""

    ordering = "pk"


class ProductListView(APIView):
    """GET /livestream/products: the local products sessions feature."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        name = serializers.CharField()
        description = serializers.CharField()

    @extend_schema(**paginated(OutputSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.products_active(),
            serialize=lambda product: self.OutputSerializer(product).data,
            pagination_class=ProductPagination,
        )


class SessionListView(APIView):
    """GET /livestream/sessions: every session (public), newest first; POST: plan one."""

    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=100)
        unit = PrimaryKeyRelatedField(queryset=Unit.objects.all())
        starts_at = serializers.DateTimeField()
        platform = serializers.ChoiceField(choices=Platform.choices)
        hosts = PrimaryKeyRelatedField(
            queryset=Cadre.objects.filter(active=True), many=True, allow_empty=False
        )
        products = PrimaryKeyRelatedField(
            queryset=Product.objects.filter(active=True), many=True, allow_empty=False
        )

        def validate_starts_at(self, value):
            if not 2000 <= value.year <= 2999:
                raise serializers.ValidationError(_("Give a date between 2000 and 2999."))
            return value

    @extend_schema(
        operation_id="livestream_sessions_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("quarter", str, description="YYYYQn; all when absent."),
        ],
        responses={**paginated(SessionSerializer)["responses"], 400: BAD_QUARTER},
    )
    def get(self, request):
        quarter = _quarter(request) if "quarter" in request.query_params else None
        return paginate(
            view=self,
            request=request,
            queryset=selectors.sessions_public(quarter=quarter),
            serialize=lambda s: SessionSerializer(s).data,
        )

    @extend_schema(
        operation_id="livestream_sessions_create",
        request=InputSerializer,
        responses={201: SessionSerializer, 403: FORBIDDEN},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_plan(user=request.user, **data.validated_data)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    """GET /livestream/sessions/{id}: public."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(responses={200: SessionSerializer})
    def get(self, request, pk):
        return Response(SessionSerializer(or_404(selectors.session_get(pk=pk))).data)


class SessionOutcomeView(APIView):
    """POST /livestream/sessions/{id}/outcome: the operator records it once (multipart)."""

    parser_classes = UPLOAD_PARSERS
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        duration_minutes = StrictIntegerField(min_value=1, max_value=24 * 60)
        peak_viewers = StrictIntegerField(min_value=0, max_value=2**31 - 1)
        orders = StrictIntegerField(min_value=0, max_value=2**31 - 1)
        sales = serializers.DecimalField(
            max_digits=14,
            decimal_places=2,
            min_value=Decimal("0"),
            help_text='yuan, e.g. "150000.00"',
        )
        evidence = serializers.FileField(validators=[_evidence_check])

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            200: SessionSerializer,
            403: error_response(
                "`permission_denied`: not the live operator; `own_case_host`: a host of it."
            ),
            409: error_response("`outcome_recorded` or `session_not_started`."),
        },
    )
    def post(self, request, pk):
        session = or_404(selectors.session_get(pk=pk))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_outcome_record(
            user=request.user, session=session, **data.validated_data
        )
        return Response(SessionSerializer(session).data)


class SessionEvidenceView(APIView):
    """GET /livestream/sessions/{id}/evidence: operator, inspector, the unit's admin, hosts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=EVIDENCE_RESPONSES)
    def get(self, request, pk):
        session = or_404(selectors.session_get(pk=pk))
        if not permissions.can_see_session_evidence(request.user, session=session):
            raise Forbidden()
        return _evidence_response(session.evidence)


class IncomeCreateView(APIView):
    """POST /livestream/incomes: income a host received (a correction names `corrects`)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        session = StrictIntegerField(min_value=1, max_value=MAX_ID)
        cadre = StrictIntegerField(min_value=1, max_value=MAX_ID)
        kind = serializers.ChoiceField(choices=Income.Kind.choices)
        amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="yuan")
        received_on = serializers.DateField()
        note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
        corrects = StrictIntegerField(
            min_value=1, max_value=MAX_ID, required=False, allow_null=True
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: IncomeSerializer,
            403: FORBIDDEN,
            409: error_response("`session_not_held` or `not_a_host`."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        session = selectors.session_get(pk=values.pop("session"))
        cadre = Cadre.objects.filter(pk=values.pop("cadre")).first()
        corrects_id = values.pop("corrects", None)
        corrects = selectors.income_get(pk=corrects_id) if corrects_id else None
        errors = {}
        if session is None:
            errors["session"] = [_("No such session.")]
        if cadre is None:
            errors["cadre"] = [_("No such cadre.")]
        if corrects_id and corrects is None:
            errors["corrects"] = [_("No such income entry.")]
        if errors:
            raise Invalid(fields=errors)
        income = services.income_record(
            user=request.user, session=session, cadre=cadre, corrects=corrects, **values
        )
        return Response(IncomeSerializer(income).data, status=status.HTTP_201_CREATED)


class TransferCreateView(APIView):
    """POST /livestream/transfers: an income entry's transfer to a public-welfare fund."""

    parser_classes = UPLOAD_PARSERS
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        income = StrictIntegerField(min_value=1, max_value=MAX_ID)
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=Decimal("0.01"), help_text="yuan"
        )
        fund = serializers.CharField(max_length=100)
        reference = serializers.CharField(max_length=64)
        transferred_on = serializers.DateField()
        evidence = serializers.FileField(validators=[_evidence_check])

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            201: TransferSerializer,
            403: FORBIDDEN,
            409: error_response("`already_transferred`."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        income = selectors.income_get(pk=values.pop("income"))
        if income is None:
            raise Invalid(fields={"income": [_("No such income entry.")]})
        transfer = services.transfer_record(user=request.user, income=income, **values)
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


class TransferConfirmView(APIView):
    """POST /livestream/transfers/{id}/confirm: a discipline inspector, once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: TransferSerializer,
            403: FORBIDDEN_TRANSFER,
            409: error_response("`transfer_decided`."),
        },
    )
    def post(self, request, pk):
        transfer = services.transfer_confirm(
            user=request.user, transfer=or_404(selectors.transfer_get(pk=pk))
        )
        return Response(TransferSerializer(transfer).data)


class TransferRejectView(APIView):
    """POST /livestream/transfers/{id}/reject {reason}: the evidence does not show it."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(min_length=2, max_length=500)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TransferSerializer,
            403: FORBIDDEN_TRANSFER,
            409: error_response("`transfer_decided`."),
        },
    )
    def post(self, request, pk):
        transfer = or_404(selectors.transfer_get(pk=pk))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.transfer_reject(
            user=request.user, transfer=transfer, reason=data.validated_data["reason"]
        )
        return Response(TransferSerializer(transfer).data)


class TransferEvidenceView(APIView):
    """GET /livestream/transfers/{id}/evidence: the cadre, their unit admin, operator, inspector."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=EVIDENCE_RESPONSES)
    def get(self, request, pk):
        transfer = or_404(selectors.transfer_get(pk=pk))
        if not permissions.can_see_transfer_evidence(request.user, transfer=transfer):
            raise Forbidden()
        return _evidence_response(transfer.evidence)


class ComplianceShortfallSerializer(serializers.Serializer):
    cadre = CadreRefSerializer()
    quota = StrictIntegerField()
    held = StrictIntegerField()
    planned = StrictIntegerField()
    missing = StrictIntegerField()


class ComplianceOverdueSerializer(serializers.Serializer):
    income = IncomeSerializer(source="*")
    unit = RefSerializer(source="cadre.unit")


class ComplianceView(APIView):
    """GET /livestream/compliance?quarter=YYYYQn: cadres short of their quota, and income
    not transferred in time; a unit admin sees their unit, the inspector every unit."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        # A quarter's compliance, for the units in context["unit_ids"] (None: all).
        quarter = serializers.CharField(source="label")
        transfer_days = ComputedIntegerField(lambda quarter: settings.LIVESTREAM_TRANSFER_DAYS)
        shortfalls = ComputedRowsField(
            lambda quarter, context: selectors.shortfalls(
                quarter=quarter, unit_ids=context["unit_ids"]
            ),
            with_context=True,
            child=ComplianceShortfallSerializer(),
        )
        overdue_income = ComputedRowsField(
            lambda quarter, context: selectors.incomes_overdue(unit_ids=context["unit_ids"]),
            with_context=True,
            child=ComplianceOverdueSerializer(),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("quarter", str, description="YYYYQn; this quarter by default.")
        ],
        responses={200: OutputSerializer, 400: BAD_QUARTER, 403: FORBIDDEN},
    )
    def get(self, request):
        unit_ids = permissions.compliance_unit_ids(request.user)
        if unit_ids is not None and not unit_ids:
            raise Forbidden()
        output = self.OutputSerializer(_quarter(request), context={"unit_ids": unit_ids})
        return Response(output.data)


class SummaryCadreSerializer(serializers.Serializer):
    cadre = CadreRefSerializer()
    sessions = StrictIntegerField()
    sales = serializers.DecimalField(max_digits=16, decimal_places=2)
    income = serializers.DecimalField(max_digits=14, decimal_places=2)
    transferred = serializers.DecimalField(max_digits=14, decimal_places=2)


class SummaryFundSerializer(serializers.Serializer):
    fund = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    transfers = StrictIntegerField()


class SummaryMonthSerializer(serializers.Serializer):
    """A (month, sales) pair of selectors.monthly_sales."""

    month = ComputedCharField(itemgetter(0))
    sales = ComputedDecimalField(itemgetter(1), max_digits=16, decimal_places=2)


class SummaryView(APIView):
    """GET /livestream/summary?quarter=YYYYQn: public: sessions, sales, income and where
    it went, per cadre; and monthly sales of the last 12 months."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        quarter = serializers.CharField()
        sessions = StrictIntegerField()
        orders = StrictIntegerField()
        sales = serializers.DecimalField(max_digits=16, decimal_places=2)
        income = serializers.DecimalField(max_digits=14, decimal_places=2)
        transferred = serializers.DecimalField(
            max_digits=14, decimal_places=2, help_text="Confirmed by a discipline inspector."
        )
        cadres = RowsField(child=SummaryCadreSerializer())
        funds = RowsField(child=SummaryFundSerializer())
        monthly_sales = ComputedRowsField(
            lambda summary: selectors.monthly_sales(), child=SummaryMonthSerializer()
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("quarter", str, description="YYYYQn; this quarter by default.")
        ],
        responses={200: OutputSerializer, 400: BAD_QUARTER},
    )
    def get(self, request):
        summary = selectors.public_summary(quarter=_quarter(request))
        return Response(self.OutputSerializer(summary).data)
