from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView as JwtTokenRefreshView

from accounts import selectors, services
from core.masking import mask_phone
from core.schema import error_response
from core.throttling import AnonRateThrottle, OtpAddressThrottle

from .serializers import PhoneField, UserSerializer


def user_body(user) -> dict:
    return {
        "id": user.pk,
        "phone_masked": mask_phone(user.phone),
        "display_name": user.display_name,
        "roles": selectors.user_roles(user=user),
    }


class OtpRequestView(APIView):
    """POST /auth/otp: send a 6-digit sign-in code by SMS."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, OtpAddressThrottle]

    class InputSerializer(serializers.Serializer):
        phone = PhoneField()

    @extend_schema(
        request=InputSerializer,
        responses={
            202: inline_serializer("OtpSent", {"expires_in": serializers.IntegerField()}),
            429: error_response(
                "`throttled`: 1 code a minute and 5 an hour per phone; `Retry-After` says when."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp = services.otp_request(phone=data.validated_data["phone"])
        expires_in = int((otp.expires_at - otp.created_at).total_seconds())
        return Response({"expires_in": expires_in}, status=status.HTTP_202_ACCEPTED)


class TokenView(APIView):
    """POST /auth/token: exchange a phone and its code for tokens."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        phone = PhoneField()
        code = serializers.RegexField(r"^\d{6}$", max_length=6)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "Tokens",
                {
                    "access": serializers.CharField(),
                    "refresh": serializers.CharField(),
                    "user": UserSerializer(),
                },
            ),
            400: error_response("`invalid`, or `otp_invalid`: wrong, expired or voided code."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.otp_verify(**data.validated_data)
        refresh = RefreshToken.for_user(user)
        return Response(
            {"access": str(refresh.access_token), "refresh": str(refresh), "user": user_body(user)}
        )


class TokenRefreshView(JwtTokenRefreshView):
    """POST /auth/token/refresh: a new access token for a refresh token."""

    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        responses={
            200: inline_serializer("AccessToken", {"access": serializers.CharField()}),
            401: error_response("`token_invalid`: the refresh token is bad or expired."),
        }
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
