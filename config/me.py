"""GET/PATCH /me: the signed-in user with their points and unread notifications.

It lives here, above the apps it summarises (accounts for the user, points for the
balances, notifications for the unread count), so no app imports one above it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import UserSerializer
from core.serializers import ComputedDictField, ComputedIntegerField
from core.throttling import UserRateThrottle
from notifications.selectors import unread_count
from points.selectors import resident_summary


class MeView(APIView):
    """GET /me: who is signed in, with their points; PATCH /me: change the display name."""

    throttle_classes = [UserRateThrottle]

    class OutputSerializer(UserSerializer):
        # The user, with the points summary the view passes in the context.
        redeemable_balance = ComputedIntegerField(
            lambda user, context: context["summary"].redeemable, with_context=True
        )
        moral_score = ComputedIntegerField(
            lambda user, context: context["summary"].moral, with_context=True
        )
        moral_tier = ComputedDictField(
            lambda user, context: context["summary"].tier, with_context=True, allow_null=True
        )
        unread_notifications = ComputedIntegerField(lambda user: unread_count(user=user))

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=50, min_length=1)

    def _body(self, user):
        return self.OutputSerializer(user, context={"summary": resident_summary(user=user)}).data

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return Response(self._body(request.user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return Response(self._body(user))
