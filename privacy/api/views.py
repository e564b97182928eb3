"""/me/code, /me/export, /me/delete (docs/privacy.md)."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import OtpCode
from core.errors import NotFound, or_404
from core.net import client_ip
from core.schema import error_response
from core.serializers import ComputedCharField, ComputedIntegerField
from core.throttling import AnonRateThrottle, UserRateThrottle

from .. import selectors, services
from ..export import export_file
from ..models import Export

CODE = serializers.RegexField(r"^[0-9]{6}$", max_length=6, help_text="From POST /me/code.")


class FreshCodeView(APIView):
    """POST /me/code: send a fresh SMS code to confirm an export or a deletion."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        purpose = serializers.ChoiceField(choices=[OtpCode.Purpose.EXPORT, OtpCode.Purpose.DELETE])

    class OutputSerializer(serializers.Serializer):
        expires_in = ComputedIntegerField(
            lambda otp: int((otp.expires_at - otp.created_at).total_seconds())
        )

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer, 429: error_response("`throttled`.")},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp = services.fresh_code_send(
            user=request.user, purpose=data.validated_data["purpose"], address=client_ip(request)
        )
        return Response(self.OutputSerializer(otp).data, status=status.HTTP_202_ACCEPTED)


class ExportSerializer(serializers.Serializer):
    """An export's state; `url` (no sign-in needed, unguessable) while it is ready."""

    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    url = ComputedCharField(
        lambda row, context: (
            context["request"].build_absolute_uri(
                reverse("me-export-download", kwargs={"token": row.token})
            )
            if row.state == Export.State.READY
            else None
        ),
        with_context=True,
        allow_null=True,
    )


class ExportView(APIView):
    """GET /me/export: the latest copy's state and link; POST: ask for a new one."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        code = CODE

    @extend_schema(responses={200: ExportSerializer, 404: error_response("`not_found`.")})
    def get(self, request):
        row = or_404(selectors.export_latest(user=request.user))
        return Response(ExportSerializer(row, context={"request": request}).data)

    @extend_schema(
        request=InputSerializer,
        description="A ZIP (JSON, CSV for the ledger) of everything about you, built by a "
        "worker; GET /me/export says when it is ready. The link is valid 24 hours.",
        responses={202: ExportSerializer, 400: error_response("`otp_invalid`.")},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.export_request(
            user=request.user, code=data.validated_data["code"], address=client_ip(request)
        )
        body = ExportSerializer(row, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ExportDownloadView(APIView):
    """GET /me/export/{token}.zip: the ZIP, to whoever holds the unguessable link, until
    it expires."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        operation_id="me_export_download",
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 404: error_response("")},
    )
    def get(self, request, token):
        row = or_404(selectors.export_by_token(token=token))
        path = export_file(row)
        if row.state != Export.State.READY or row.expires_at <= timezone.now():
            raise NotFound()
        if not path.exists():
            raise NotFound()
        response = HttpResponse(path.read_bytes(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="duoduo-my-data.zip"'
        response["Cache-Control"] = "private, no-store"
        return response


class DeletionView(APIView):
    """POST /me/delete: leave; the account is anonymised after the cooling-off."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        code = CODE

    class OutputSerializer(serializers.Serializer):
        deletion_due_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        description="Signing in before `deletion_due_at` cancels the deletion "
        "(ACCOUNT_DELETION_COOLING_DAYS after this request).",
        responses={
            202: OutputSerializer,
            400: error_response("`otp_invalid`."),
            409: error_response(
                "`deletion_blocked`: `fields.first` says what must happen first (roles "
                "to give up, an active stall)."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.deletion_request(
            user=request.user, code=data.validated_data["code"], address=client_ip(request)
        )
        return Response(self.OutputSerializer(user).data, status=status.HTTP_202_ACCEPTED)
