from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import audit, codes
from core.devices import IssuesDeviceToken
from core.pagination import CursorPagination, paginate, paginated
from core.schema import DEVICE_TOKEN_PARAMETERS
from core.throttling import ScopedThrottle, UserRateThrottle


class ScanView(IssuesDeviceToken, APIView):
    """POST /scan: what a scanned code points to, for the app. Answers a client without
    a valid device token with a new one (core.devices), before it reviews."""

    throttle_classes = [UserRateThrottle, ScopedThrottle]
    throttle_scope = "scan"

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=512)

    class OutputSerializer(serializers.Serializer):
        type = serializers.ChoiceField(
            choices=[
                "cadre",
                "site",
                "stall",
                "voucher",
                "privilege_pass",
                "payment_request",
                "merchant",
            ]
        )
        cadre = serializers.DictField(required=False)
        site = serializers.DictField(required=False)
        stall = serializers.DictField(required=False)
        redemption = serializers.DictField(required=False)
        payment_request = serializers.DictField(required=False)
        merchant = serializers.DictField(required=False)
        # "pass" is a Python keyword; the schema names it below.

    @extend_schema(
        request=InputSerializer,
        parameters=DEVICE_TOKEN_PARAMETERS,
        responses={
            200: OpenApiResponse(
                response=OutputSerializer,
                description='`type` names the object; the object is under the key "cadre", '
                '"site", "stall", "redemption" (type voucher), "pass" (type privilege_pass), '
                '"payment_request" (a till\'s code: merchant, amount, status) or "merchant" '
                "(a merchant's counter code: the resident types the amount). A cadre's "
                "service ticket is of type cadre: the card plus `ticket: {expires_at}`.",
            ),
        },
        extensions={
            "x-error-codes": {
                "404": ["code_invalid", "code_revoked"],
                "409": ["ticket_used", "ticket_expired", "pass_expired"],
            }
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolved = codes.resolve(data.validated_data["code"])
        return Response(codes.scan_body(resolved, request))


class DataAccessPagination(CursorPagination):
    ordering = ("-created_at", "-pk")


class DataAccessView(APIView):
    """GET /me/data-access: every time staff read or changed the signed-in person's data
    (the audit trail, docs/audit.md), with the role and unit of who did it (never their
    name) and the purpose recorded with the act; newest first."""

    throttle_classes = [UserRateThrottle]

    class OutputSerializer(serializers.Serializer):
        time = serializers.DateTimeField(source="created_at")
        action = serializers.CharField(help_text="What was done, e.g. `registration.reveal`.")
        object_type = serializers.CharField(help_text="e.g. `stalls.registration`.")
        object_id = serializers.CharField()
        role = serializers.CharField(source="actor_role", help_text="The role it was done in.")
        unit = serializers.CharField(source="actor_unit", help_text="Their unit; may be empty.")
        purpose = serializers.CharField()

        class Meta:
            ref_name = "DataAccessEvent"

    @extend_schema(**paginated(OutputSerializer, operation_id="me_data_access_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=audit.events_about(request.user),
            serialize=lambda event: self.OutputSerializer(event).data,
            pagination_class=DataAccessPagination,
        )
