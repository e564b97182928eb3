"""Paying with points at the till, merchant self-service and settlement statements
(docs/merchant-payments.md): one view per operation, thin."""

import csv
import io

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import KeyedStatelessJWTAuthentication, user_loaded
from accounts.consent import consent_require
from accounts.permissions import HasRole
from accounts.roles import Role
from core import codes, metrics
from core.errors import Forbidden, Invalid, or_404
from core.headers import IDEMPOTENCY_KEY
from core.idempotency import claimed_write, idempotent, keyed, request_fingerprint
from core.masking import mask_phone
from core.pagination import PAGE_PARAMETERS, paginate, paginated
from core.qr import qr_png
from core.schema import error_response
from core.serializers import (
    ComputedCharField,
    ComputedIntegerField,
    ComputedURLField,
    StrictIntegerField,
)
from core.throttling import AnonRateThrottle, UserAndScopeThrottle
from core.timezones import LOCAL_TZ
from points.api.views import VoucherCheckSerializer
from points.models import Redemption
from points.selectors import yuan

from .. import selectors, services
from ..codes import counter_url, request_url
from ..models import PaymentRequest, Statement

MAX_INT = 2_147_483_647
# DEFAULT_THROTTLE_CLASSES as APIView holds them: classes (the stubs type the setting as paths).
THROTTLES = APIView.throttle_classes

# Counted in the process (no SQL statement): core/metrics.py.
PAYMENTS = metrics.counter(
    "duoduo_payments", "Payments at a till by outcome: paid, or the error code.", ("outcome",)
)
REFUNDS = metrics.counter(
    "duoduo_refunds", "Merchant refunds by outcome: refunded, or the error code.", ("outcome",)
)


class MerchantRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "PaymentMerchant"


def _my_merchant_ids(request) -> list[int]:
    ids = selectors.merchant_ids_of(user=request.user)
    if not ids:
        raise Forbidden(_("Only a merchant's staff can do this."))
    return ids


def _qr_png_url(payment_request, context) -> str:
    path = reverse("merchant-payment-request-qr", args=[payment_request.pk])
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class PaymentRequestSerializer(serializers.Serializer):
    id = StrictIntegerField()
    merchant = MerchantRefSerializer()
    amount_points = StrictIntegerField()
    amount_yuan = ComputedCharField(lambda found: yuan(found.amount_points))
    code_url = ComputedCharField(request_url)
    qr_png_url = ComputedURLField(_qr_png_url, with_context=True)
    status = serializers.ChoiceField(choices=PaymentRequest.Status.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(
        source="paid_payment.created_at", allow_null=True, default=None
    )
    payment = StrictIntegerField(source="paid_payment.pk", allow_null=True, default=None)

    class Meta:
        ref_name = "PaymentRequest"


class PaymentRequestCreateView(APIView):
    """POST /merchant/payment-requests: the till asks for an amount (a one-time code)."""

    permission_classes = [HasRole(Role.MERCHANT)]

    class InputSerializer(serializers.Serializer):
        amount_points = StrictIntegerField(min_value=1, max_value=100_000_000)
        merchant = StrictIntegerField(min_value=1, max_value=MAX_INT, required=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: PaymentRequestSerializer,
            403: error_response("`permission_denied`: not staff of a merchant (or that one)."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = selectors.merchant_of(
            user=request.user, merchant_id=data.validated_data.get("merchant")
        )
        if merchant is None:
            raise Forbidden(_("Only a merchant's staff can do this."))
        created = services.payment_request_create(
            merchant=merchant,
            amount_points=data.validated_data["amount_points"],
            created_by=request.user,
        )
        body = PaymentRequestSerializer(created, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class PaymentRequestDetailView(APIView):
    """GET /merchant/payment-requests/{id}: the till sees it pending, paid or expired."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(responses={200: PaymentRequestSerializer, 404: error_response("`not_found`.")})
    def get(self, request, pk):
        found = or_404(
            selectors.payment_request_of(
                pk=pk, merchant_ids=selectors.merchant_ids_of(user=request.user)
            )
        )
        return Response(PaymentRequestSerializer(found, context={"request": request}).data)


class PaymentRequestQrView(APIView):
    """GET /merchant/payment-requests/{id}/qr.png: the code the till shows the resident."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(
        responses={(200, "image/png"): OpenApiTypes.BINARY, 404: error_response("`not_found`.")}
    )
    def get(self, request, pk):
        found = or_404(
            selectors.payment_request_of(
                pk=pk, merchant_ids=selectors.merchant_ids_of(user=request.user)
            )
        )
        return HttpResponse(qr_png(request_url(found)), content_type="image/png")


class CounterCodeSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    code_url = ComputedCharField(counter_url)

    class Meta:
        ref_name = "MerchantCounterCode"


class CounterCodeView(APIView):
    """GET /merchant/code: the merchant's static counter code (print its qr.png)."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(responses={200: CounterCodeSerializer})
    def get(self, request):
        merchant = selectors.merchant_of(user=request.user)
        if merchant is None:
            raise Forbidden(_("Only a merchant's staff can do this."))
        return Response(CounterCodeSerializer(merchant).data)


class CounterCodeQrView(APIView):
    """GET /merchant/code/qr.png: the counter code as a PNG to print."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request):
        merchant = selectors.merchant_of(user=request.user)
        if merchant is None:
            raise Forbidden(_("Only a merchant's staff can do this."))
        return HttpResponse(qr_png(counter_url(merchant)), content_type="image/png")


# What a resident's phone shows after scanning a till or counter code (POST /scan).
class RequestScanSerializer(serializers.Serializer):
    id = StrictIntegerField()
    merchant = MerchantRefSerializer()
    amount_points = StrictIntegerField()
    amount_yuan = ComputedCharField(lambda found: yuan(found.amount_points))
    status = serializers.ChoiceField(choices=PaymentRequest.Status.choices)
    expires_at = serializers.DateTimeField()


def request_scan_body(payment_request: PaymentRequest, request) -> dict:
    return RequestScanSerializer(payment_request).data


class CounterScanSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    address = serializers.CharField()


def counter_scan_body(merchant, request) -> dict:
    return CounterScanSerializer(merchant).data


class ResidentPaymentSerializer(serializers.Serializer):
    id = StrictIntegerField()
    merchant = MerchantRefSerializer()
    amount_points = StrictIntegerField()
    amount_yuan = ComputedCharField(lambda payment: yuan(payment.amount_points))
    refunded_points = StrictIntegerField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ResidentPayment"


class PaymentCreateView(APIView):
    """GET /points/payments: the resident's own payments, newest first; POST: pay a
    scanned till or counter code."""

    # The token alone: the payment at a counter checks its user in its own statement;
    # the other paths load the user row (user_loaded).
    authentication_classes = [KeyedStatelessJWTAuthentication]
    # The POST's two rates (the user's and the "payment" scope) in one Redis round trip.
    throttle_classes = [AnonRateThrottle, UserAndScopeThrottle]
    throttle_scope = "payment"

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=512)
        amount_points = StrictIntegerField(
            min_value=1,
            max_value=100_000_000,
            required=False,
            help_text="Required with a merchant's counter code; refused with a till's request.",
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField(source="payment.pk")
        merchant = inline_serializer(
            "PaidMerchant",
            {"id": StrictIntegerField(), "name": serializers.CharField()},
            source="payment.merchant",
        )
        amount_points = StrictIntegerField(source="payment.amount_points")
        amount_yuan = ComputedCharField(lambda made: yuan(made.payment.amount_points))
        balance = StrictIntegerField()
        created_at = serializers.DateTimeField(source="payment.created_at")

    # The 201's body as OutputSerializer gives it (tests/merchants/test_payments.py pins
    # the two equal), without building a serializer: 14 % of the till's CPU in process.
    _CREATED_AT = serializers.DateTimeField()

    @classmethod
    def answer_body(cls, made) -> dict:
        payment = made.payment
        return {
            "id": payment.pk,
            "merchant": {"id": payment.merchant.pk, "name": payment.merchant.name},
            "amount_points": payment.amount_points,
            "amount_yuan": yuan(payment.amount_points),
            "balance": made.balance,
            "created_at": cls._CREATED_AT.to_representation(payment.created_at),
        }

    def get_throttles(self):
        if self.request is not None and self.request.method == "GET":
            return [throttle() for throttle in THROTTLES]
        return super().get_throttles()

    @extend_schema(**paginated(ResidentPaymentSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.payments_by(resident=user_loaded(request)),
            serialize=lambda payment: ResidentPaymentSerializer(payment).data,
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: error_response(
                "`invalid`: no amount for a counter code, or an amount for a till's request."
            ),
            404: error_response("`code_invalid`, `code_revoked`: not a payment code."),
            409: error_response(
                "`insufficient_points`, `payment_request_paid`, `payment_request_expired`, "
                "`idempotency_key_in_progress`."
            ),
        },
    )
    @keyed
    @metrics.counts_outcomes(PAYMENTS, done="paid")
    def post(self, request):
        consent_require(user=request.user)
        # The body's fingerprint before DRF parses it (the parsed stream is gone).
        fingerprint = request_fingerprint(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data.get("amount_points")
        if request.headers.get(IDEMPOTENCY_KEY) is not None and amount is not None:
            kind, payload = codes.parse(data.validated_data["code"])
            if kind.type == "merchant":
                # The till's hot path: the key claimed in the payment's own statement.
                return claimed_write(
                    request,
                    fingerprint,
                    lambda claim: self.pay_at_counter(request, claim, payload, amount),
                )
        user_loaded(request)
        return self.pay(request)

    def pay_at_counter(self, request, claim, payload, amount):
        return services.payment_at_counter(
            claim=claim,
            resident=request.user,
            payload=payload,
            amount_points=amount,
            answer=lambda made: Response(self.answer_body(made), status=status.HTTP_201_CREATED),
        )

    @idempotent
    def pay(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolved = codes.resolve(data.validated_data["code"])
        amount = data.validated_data.get("amount_points")
        if resolved.kind.type == "payment_request":
            if amount is not None:
                raise Invalid(fields={"amount_points": [_("The shop's request sets the amount.")]})
            made = services.payment_create(resident=request.user, request=resolved.obj)
        elif resolved.kind.type == "merchant":
            if amount is None:
                raise Invalid(fields={"amount_points": [_("Type the amount to pay.")]})
            made = services.payment_create(
                resident=request.user, merchant=resolved.obj, amount_points=amount
            )
        else:
            raise codes.CodeInvalid()
        return Response(self.answer_body(made), status=status.HTTP_201_CREATED)


class MerchantPaymentSerializer(serializers.Serializer):
    id = StrictIntegerField()
    merchant = MerchantRefSerializer()
    amount_points = StrictIntegerField()
    amount_yuan = ComputedCharField(lambda payment: yuan(payment.amount_points))
    refunded_points = StrictIntegerField()
    refundable_points = StrictIntegerField()
    payer_phone_masked = ComputedCharField(lambda payment: mask_phone(payment.resident.phone))
    request = StrictIntegerField(source="request_id", allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "MerchantPayment"


class DayFilterSerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text="An Asia/Shanghai day, YYYY-MM-DD (default today)."
    )


class MerchantPaymentListView(APIView):
    """GET /merchant/payments?date=: the merchant's payments of a day, newest first."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(
        parameters=[DayFilterSerializer, *PAGE_PARAMETERS],
        responses=paginated(MerchantPaymentSerializer)["responses"],
    )
    def get(self, request):
        filters = DayFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        day = filters.validated_data.get("date") or selectors.local_today()
        return paginate(
            view=self,
            request=request,
            queryset=selectors.payments_of(merchant_ids=_my_merchant_ids(request), day=day),
            serialize=lambda payment: MerchantPaymentSerializer(payment).data,
        )


class RefundCreateView(APIView):
    """POST /merchant/payments/{id}/refunds: give back part or all of a payment."""

    permission_classes = [HasRole(Role.MERCHANT)]

    class InputSerializer(serializers.Serializer):
        amount_points = StrictIntegerField(min_value=1, max_value=100_000_000)

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        payment = MerchantPaymentSerializer()
        amount_points = StrictIntegerField()
        amount_yuan = ComputedCharField(lambda refund: yuan(refund.amount_points))
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            404: error_response("`not_found`: no such payment of yours."),
            409: error_response(
                "`refund_exceeds_payment`, `refund_window_closed`, `idempotency_key_in_progress`."
            ),
        },
    )
    @idempotent
    @metrics.counts_outcomes(REFUNDS, done="refunded")
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.payment_refund(
            payment_id=pk,
            merchant_ids=selectors.merchant_ids_of(user=request.user),
            amount_points=data.validated_data["amount_points"],
            created_by=request.user,
        )
        return Response(self.OutputSerializer(refund).data, status=status.HTTP_201_CREATED)


class MerchantVoucherListView(APIView):
    """GET /merchant/vouchers?date=&status=: vouchers of the merchant's rewards."""

    permission_classes = [HasRole(Role.MERCHANT)]

    class FilterSerializer(DayFilterSerializer):
        date = serializers.DateField(
            required=False, help_text="Redeemed or used on this Asia/Shanghai day."
        )
        status = serializers.ChoiceField(choices=Redemption.Status.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses=paginated(VoucherCheckSerializer)["responses"],
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        vouchers = selectors.vouchers_of(
            merchant_ids=_my_merchant_ids(request),
            day=filters.validated_data.get("date"),
            status=filters.validated_data.get("status"),
        )
        return paginate(
            view=self,
            request=request,
            queryset=vouchers,
            serialize=lambda voucher: VoucherCheckSerializer(voucher).data,
        )


def _csv_url(statement, context) -> str:
    path = reverse("merchant-statement-csv", args=[statement.pk])
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class StatementSerializer(serializers.Serializer):
    id = StrictIntegerField()
    merchant = MerchantRefSerializer()
    month = ComputedCharField(lambda statement: statement.label)
    status = serializers.ChoiceField(choices=Statement.Status.choices)
    payments_points = StrictIntegerField()
    refunds_points = StrictIntegerField()
    vouchers_points = StrictIntegerField()
    other_points = StrictIntegerField()
    points = StrictIntegerField()
    yuan = ComputedCharField(lambda statement: yuan(statement.points))
    entries = ComputedIntegerField(lambda statement: statement.entries_count)
    built_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    payment_reference = serializers.CharField()
    csv_url = ComputedURLField(_csv_url, with_context=True)

    class Meta:
        ref_name = "SettlementStatement"


class StatementListView(APIView):
    """GET /merchant/statements: the merchant's monthly statements, newest first."""

    permission_classes = [HasRole(Role.MERCHANT)]

    @extend_schema(**paginated(StatementSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.statements_of(merchant_ids=_my_merchant_ids(request)),
            serialize=lambda statement: (
                StatementSerializer(statement, context={"request": request}).data
            ),
        )


def statement_csv(statement: Statement) -> HttpResponse:
    """The statement as CSV: a summary row, then one row per ledger entry it counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["merchant", "month", "status", "points", "yuan", "payment_reference"])
    writer.writerow(
        [
            statement.merchant.name,
            statement.label,
            statement.status,
            statement.points,
            yuan(statement.points),
            statement.payment_reference,
        ]
    )
    writer.writerow([])
    writer.writerow(["time", "reason", "reference", "points", "yuan"])
    for created_at, reason, reference, amount in selectors.statement_payments(statement=statement):
        # Times as the API writes them: Asia/Shanghai with its offset.
        moment = timezone.localtime(created_at, LOCAL_TZ).isoformat()
        writer.writerow([moment, reason, reference, amount, yuan(amount)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"statement-{statement.merchant_id}-{statement.label}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class StatementCsvView(APIView):
    """GET /merchant/statements/{id}/csv: one statement and its entries as CSV."""

    permission_classes = [HasRole(Role.MERCHANT, Role.FINANCE)]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: error_response("`not_found`.")}
    )
    def get(self, request, pk):
        if HasRole(Role.FINANCE)().has_permission(request, self):
            statement = or_404(Statement.objects.select_related("merchant").filter(pk=pk).first())
        else:
            statement = or_404(
                selectors.statement_of(
                    pk=pk, merchant_ids=selectors.merchant_ids_of(user=request.user)
                )
            )
        return statement_csv(statement)


class StatementConfirmView(APIView):
    """POST /settlement/statements/{id}/confirm: finance confirms an ended month's statement."""

    permission_classes = [HasRole(Role.FINANCE)]

    @extend_schema(
        request=None,
        responses={
            200: StatementSerializer,
            403: error_response(
                "`permission_denied`: not finance; `own_case_subject`: staff of the merchant."
            ),
            409: error_response("`statement_not_open`, `statement_month_not_ended`."),
        },
    )
    def post(self, request, pk):
        statement = services.statement_confirm(statement_id=pk, actor=request.user)
        return Response(StatementSerializer(statement, context={"request": request}).data)


class StatementPayView(APIView):
    """POST /settlement/statements/{id}/pay {reference}: finance records the transfer."""

    permission_classes = [HasRole(Role.FINANCE)]

    class InputSerializer(serializers.Serializer):
        reference = serializers.CharField(max_length=100)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: StatementSerializer,
            403: error_response(
                "`permission_denied`: not finance; `own_case_subject`: staff of the merchant."
            ),
            409: error_response("`statement_not_confirmed`."),
        },
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_pay(
            statement_id=pk, actor=request.user, reference=data.validated_data["reference"]
        )
        return Response(StatementSerializer(statement, context={"request": request}).data)


class SettlementStatementListView(APIView):
    """GET /settlement/statements?status=: every merchant's statements (finance)."""

    permission_classes = [HasRole(Role.FINANCE)]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Statement.Status.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses=paginated(StatementSerializer)["responses"],
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        statements = Statement.objects.select_related("merchant")
        if filters.validated_data.get("status"):
            statements = statements.filter(status=filters.validated_data["status"])
        return paginate(
            view=self,
            request=request,
            queryset=statements,
            serialize=lambda statement: (
                StatementSerializer(statement, context={"request": request}).data
            ),
        )
