"""GET/PATCH /me: the signed-in user with their points.

It lives here, above the apps it summarises (accounts for the user, points for the
balances), so no app imports one above it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import UserSerializer
from accounts.api.views import user_body
from core.throttling import UserRateThrottle
from points.selectors import resident_summary


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
