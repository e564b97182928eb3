from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import selectors, services
from core.masking import mask_phone
from core.net import client_ip
from core.schema import error_response
from core.throttling import AnonRateThrottle, UserRateThrottle
from points.selectors import resident_summary

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
    throttle_classes = [AnonRateThrottle]

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
        otp = services.otp_request(phone=data.validated_data["phone"], address=client_ip(request))
        expires_in = int((otp.expires_at - otp.created_at).total_seconds())
        return Response({"expires_in": expires_in}, status=status.HTTP_202_ACCEPTED)


class TokenView(APIView):
    """POST /auth/token: exchange a phone and its code for tokens."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        phone = PhoneField()
        code = serializers.RegexField(r"^[0-9]{6}$", max_length=6)

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
        user = services.otp_verify(**data.validated_data, address=client_ip(request))
        refresh = RefreshToken.for_user(user)
        return Response(
            {"access": str(refresh.access_token), "refresh": str(refresh), "user": user_body(user)}
        )


class TokenRefreshView(APIView):
    """POST /auth/token/refresh: new tokens for a refresh token, which is spent."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        request=InputSerializer,
        description=(
            "Refresh tokens rotate: the answer carries a new `refresh`, and the one sent is "
            "blacklisted, so using it again is 401 `token_invalid`."
        ),
        responses={
            200: inline_serializer(
                "RefreshedTokens",
                {"access": serializers.CharField(), "refresh": serializers.CharField()},
            ),
            401: error_response(
                "`token_invalid`: the refresh token is bad, expired, already used or revoked."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.tokens_refresh(**data.validated_data))


class LogoutView(APIView):
    """POST /auth/logout: revoke a refresh token (sign out on this device)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        request=InputSerializer,
        description=(
            "The refresh token is blacklisted: it can no longer be refreshed. Access tokens "
            "already issued stay valid until they expire (JWT_ACCESS_MINUTES)."
        ),
        responses={
            204: None,
            401: error_response(
                "`token_invalid`: the refresh token is bad, expired, already used or revoked."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.tokens_revoke(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """GET /me: who is signed in, with their points; PATCH /me: change the display name."""

    throttle_classes = [UserRateThrottle]

    class OutputSerializer(UserSerializer):
        redeemable_balance = serializers.IntegerField()
        moral_score = serializers.IntegerField()
        moral_tier = serializers.DictField(allow_null=True)

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=50, min_length=1)

    def _body(self, user):
        summary = resident_summary(user=user)
        return {
            **user_body(user),
            "redeemable_balance": summary.redeemable,
            "moral_score": summary.moral,
            "moral_tier": summary.tier,
        }

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return Response(self._body(request.user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return Response(self._body(user))
