from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.consent import NOTICE_SECTIONS, consent_give, current_version
from accounts.models import Consent
from core.net import client_ip
from core.pagination import paginate, paginated
from core.schema import error_response
from core.serializers import ComputedListField
from core.throttling import AnonRateThrottle, UserRateThrottle

from .serializers import (
    OtpSentSerializer,
    PhoneField,
    RefreshedTokensSerializer,
    SignedIn,
    TokensSerializer,
    WechatCodeField,
)


class OtpRequestView(APIView):
    """POST /auth/otp: send a 6-digit sign-in code by SMS."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        phone = PhoneField()

    @extend_schema(
        request=InputSerializer,
        description=(
            "Limits (docs/signin-limits.md), counted per client address (the TCP peer, or "
            "what the proxies in front saw, NUM_PROXIES):\n\n"
            "- per phone and address: 1 code a minute, 5 an hour;\n"
            "- per address, whatever the phone: 30 an hour (THROTTLE_OTP_IP);\n"
            "- per phone, whatever the address: 5 an hour; then a slow lane of one more code "
            "every 15 minutes, at most 10 a day, only for an address that has sent no wrong "
            "code for this phone in the last 24 hours.\n\n"
            "`phone` must be a JSON string of ASCII digits (E.164, or a mainland number)."
        ),
        responses={
            202: OtpSentSerializer,
            400: error_response("`invalid`: not a valid mobile number, or not a string."),
            429: error_response(
                "`throttled`: a limit above is reached; `Retry-After` says when to try again."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp = services.otp_request(phone=data.validated_data["phone"], address=client_ip(request))
        return Response(OtpSentSerializer(otp).data, status=status.HTTP_202_ACCEPTED)


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
            200: TokensSerializer,
            400: error_response(
                "`invalid`, or `otp_invalid`: wrong, expired or (for this address) voided code."
            ),
            429: error_response(
                "`throttled`: too many wrong codes (per phone or per address) within the hour; "
                "`Retry-After` says when to try again."
            ),
        },
        description=(
            "The latest code sent to the phone signs in, once, within 5 minutes. Wrong codes "
            "count per client address (docs/signin-limits.md):\n\n"
            "- 5 wrong codes from one address void the code for that address only (the "
            "phone's owner, elsewhere, can still use it);\n"
            "- after 20 wrong codes for one phone within an hour, only addresses that have "
            "sent no wrong code for it in that hour may try;\n"
            "- one address may send 30 wrong codes an hour, whatever the phones.\n\n"
            "`phone` must be a JSON string; `code` six ASCII digits. The refresh token "
            "rotates on each use (`/auth/token/refresh`) and is revoked by `/auth/logout`."
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.otp_verify(**data.validated_data, address=client_ip(request))
        cancelled = services.deletion_cancel(user=user)
        signed_in = SignedIn(
            user=user, refresh=services.tokens_issue(user=user), deletion_cancelled=cancelled
        )
        return Response(TokensSerializer(signed_in).data)


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
            200: RefreshedTokensSerializer,
            401: error_response(
                "`token_invalid`: the refresh token is bad, expired, already used or revoked."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.tokens_refresh(**data.validated_data)
        return Response(RefreshedTokensSerializer(tokens).data)


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
            "The refresh token is blacklisted: it can no longer be refreshed, and every "
            "access token of its sign-in session (this device) is refused from now on "
            "(401 `token_invalid`). Other sessions of the user stay signed in."
        ),
        responses={
            204: None,
            401: error_response(
                "`token_invalid`: the refresh token is bad, expired, already used or revoked."
            ),
            503: error_response(
                "`service_unavailable`: Redis is down; nothing was revoked, try again."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.tokens_revoke(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WechatSignInView(APIView):
    """POST /auth/wechat: sign in from the WeChat mini program."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        code = WechatCodeField()
        phone_code = WechatCodeField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TokensSerializer,
            400: error_response(
                "`invalid`; `wechat_code_invalid`: `code` or `phone_code` is invalid, "
                "expired (5 minutes) or already used: call wx.login (or the phone button) "
                "again; `wechat_phone_unsupported`: WeChat's phone for this account is not "
                "a number that may sign in here (PHONE_NUMBER_PATTERN)."
            ),
            404: error_response(
                "`not_found`: sign-in with WeChat is not set up on this server (no WECHAT_APP_ID)."
            ),
            409: error_response(
                "`wechat_phone_required`: this WeChat account is bound to nobody yet; send "
                "a new `code` with `phone_code` from the phone-number button."
            ),
            429: error_response("`throttled`: `Retry-After` says when to try again."),
            503: error_response(
                "`service_unavailable`: WeChat is busy, throttles us or cannot be reached; "
                "`Retry-After` says when to try again."
            ),
        },
        description=(
            "`code` is `wx.login()`'s; it is exchanged at WeChat for the account's openid. "
            "An openid bound to a user gets the same tokens as `/auth/token`. An unbound one "
            'needs `phone_code` (from `<button open-type="getPhoneNumber">`): the phone '
            "WeChat verified signs in, or creates, the resident with that phone and the "
            "openid is bound to them. `DELETE /me/wechat` unbinds (docs/wechat.md)."
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.wechat_sign_in(**data.validated_data)
        cancelled = services.deletion_cancel(user=user)
        signed_in = SignedIn(
            user=user, refresh=services.tokens_issue(user=user), deletion_cancelled=cancelled
        )
        return Response(TokensSerializer(signed_in).data)


class MeWechatView(APIView):
    """DELETE /me/wechat: unbind the signed-in user's WeChat account."""

    throttle_classes = [UserRateThrottle]

    @extend_schema(
        request=None,
        responses={204: None},
        description=(
            "The user's WeChat accounts no longer sign them in: the next mini-program "
            "sign-in asks for the phone again. SMS sign-in is unchanged; tokens already "
            "issued stay valid. 204 also when nothing was bound."
        ),
    )
    def delete(self, request):
        services.wechat_unbind(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrivacyNoticeView(APIView):
    """GET /privacy: the current privacy notice, its version and sections."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        version = serializers.CharField()
        sections = ComputedListField(
            lambda notice: [
                {"key": key, "title": str(title), "text": str(text)}
                for key, title, text in notice["sections"]
            ],
            child=serializers.DictField(child=serializers.CharField()),
            help_text="`what`, `why`, `how_long`, `who`: each with `title` and `text`.",
        )

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        notice = {"version": current_version(), "sections": NOTICE_SECTIONS}
        return Response(self.OutputSerializer(notice).data)


class ConsentSerializer(serializers.Serializer):
    """One consent given."""

    purpose = serializers.CharField()
    version = serializers.CharField()
    created_at = serializers.DateTimeField()


class ConsentView(APIView):
    """GET /me/consents: the consents given, newest first; POST: give one."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        version = serializers.CharField(max_length=16)
        purpose = serializers.ChoiceField(
            choices=Consent.Purpose.choices, default=Consent.Purpose.NOTICE
        )

    @extend_schema(**paginated(ConsentSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.consents_of(user=request.user),
            serialize=lambda consent: ConsentSerializer(consent).data,
        )

    @extend_schema(
        request=InputSerializer,
        description=(
            "`purpose` `notice` (the default) accepts the privacy notice of `version`; "
            "`id_number` is the separate consent to give an ID-card number (stall "
            "registration), which includes the notice's."
        ),
        responses={
            201: ConsentSerializer,
            400: error_response("`invalid`: not the current version (`fields.version`)."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = consent_give(user=request.user, **data.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
