"""The inbox: GET /notifications, POST /notifications/read, GET|PATCH
/notifications/preferences. Only the signed-in user's own notifications, ever."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from core.pagination import paginate, paginated
from core.schema import error_response
from core.serializers import ComputedCharField, StrictIntegerField
from core.throttling import UserRateThrottle
from core.timezones import LOCAL_TZ

from .. import kinds, receipts, selectors, services

NEITHER = _("Give the ids to mark read, or all: true.")


class NotificationSerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = serializers.ChoiceField(choices=sorted(kinds.KINDS))
    title = ComputedCharField(lambda notification: notification.title)
    body = ComputedCharField(lambda notification: notification.body)
    link = serializers.CharField(help_text="The object the notification is about (a path).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListView(APIView):
    """GET /notifications: the user's notifications, newest first, in their language."""

    throttle_classes = [UserRateThrottle]

    @extend_schema(**paginated(NotificationSerializer, operation_id="notifications_list"))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.inbox(user=request.user),
            serialize=lambda notification: NotificationSerializer(notification).data,
        )


class NotificationReadView(APIView):
    """POST /notifications/read {ids: [...]} or {all: true}: mark them read."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
            max_length=100,
            required=False,
        )
        all = serializers.BooleanField(required=False, default=False)

    class OutputSerializer(serializers.Serializer):
        marked = StrictIntegerField(help_text="How many were unread and are read now.")
        unread = StrictIntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: error_response("`invalid`: neither `ids` nor `all: true`."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids, everything = data.validated_data.get("ids"), data.validated_data["all"]
        if not everything and not ids:
            raise Invalid(fields={"ids": [str(NEITHER)]})
        marked = services.notifications_mark_read(user=request.user, ids=ids, everything=everything)
        return Response(
            self.OutputSerializer(
                {"marked": marked, "unread": selectors.unread_count(user=request.user)}
            ).data
        )


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    in_app = serializers.BooleanField(help_text="Always true: every kind reaches the inbox.")
    sms_allowed = serializers.BooleanField()
    sms = serializers.BooleanField()


class NotificationPreferencesView(APIView):
    """GET /notifications/preferences: every kind and whether it comes by SMS;
    PATCH {preferences: [{kind, sms}]}: turn SMS on or off (where the kind allows it)."""

    throttle_classes = [UserRateThrottle]

    class InputSerializer(serializers.Serializer):
        class ChoiceSerializer(serializers.Serializer):
            kind = serializers.CharField(max_length=40)
            sms = serializers.BooleanField()

        preferences = serializers.ListField(
            child=ChoiceSerializer(), min_length=1, max_length=len(kinds.KINDS)
        )

    def _body(self, user):
        return PreferenceSerializer(selectors.preferences(user=user), many=True).data

    @extend_schema(responses={200: PreferenceSerializer(many=True)})
    def get(self, request):
        return Response(self._body(request.user))

    @extend_schema(
        request=InputSerializer,
        responses={
            200: PreferenceSerializer(many=True),
            400: error_response("`invalid`: an unknown kind, or SMS for a kind without it."),
        },
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {choice["kind"]: choice["sms"] for choice in data.validated_data["preferences"]}
        services.preferences_update(user=request.user, changes=changes)
        return Response(self._body(request.user))


# --- SMS delivery receipts (docs/sms.md): the providers call these, not the app.


class ReceiptCountsSerializer(serializers.Serializer):
    recorded = StrictIntegerField(help_text="Outbox rows moved to delivered or undelivered.")
    replayed = StrictIntegerField(help_text="Rows that had their outcome already: unchanged.")
    unknown = StrictIntegerField(help_text="Message ids nobody sent: ignored.")


class AliyunReceiptSerializer(serializers.Serializer):
    """One item of Aliyun's SmsReport callback body."""

    biz_id = serializers.CharField(max_length=64)
    success = serializers.BooleanField()
    err_code = serializers.CharField(max_length=64, allow_blank=True)
    report_time = serializers.DateTimeField(
        input_formats=["%Y-%m-%d %H:%M:%S"], default_timezone=LOCAL_TZ, required=False
    )


class TencentReceiptSerializer(serializers.Serializer):
    """One item of Tencent Cloud's SMS status callback body."""

    sid = serializers.CharField(max_length=64)
    report_status = serializers.ChoiceField(choices=["SUCCESS", "FAIL"])
    errmsg = serializers.CharField(max_length=64, allow_blank=True)
    user_receive_time = serializers.DateTimeField(
        input_formats=["%Y-%m-%d %H:%M:%S"], default_timezone=LOCAL_TZ, required=False
    )


class ReceiptView(APIView):
    """POST /sms/receipts/<provider>?token=...: a JSON list of the provider's receipts."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    provider = ""
    item_serializer: type[serializers.Serializer] = serializers.Serializer

    class OutputSerializer(ReceiptCountsSerializer):
        pass

    def receipt(self, item: dict) -> receipts.Receipt:
        raise NotImplementedError

    def answer(self, counts: receipts.ReceiptsRecorded) -> dict:
        """The provider's documented acknowledgement, with the counts."""
        raise NotImplementedError

    def post(self, request):
        receipts.receipt_token_check(
            provider=self.provider, token=str(request.query_params.get("token", ""))
        )
        items = self.item_serializer(data=request.data, many=True, max_length=1000)
        if not items.is_valid():
            raise Invalid(fields={"receipts": [_("A JSON list of the provider's receipts.")]})
        counts = receipts.receipts_record(
            provider=self.provider, receipts=[self.receipt(item) for item in items.validated_data]
        )
        return Response(self.answer(counts))


class AliyunReceiptView(ReceiptView):
    provider = "aliyun"
    item_serializer = AliyunReceiptSerializer

    class OutputSerializer(ReceiptCountsSerializer):
        code = StrictIntegerField(help_text="0: received (Aliyun's acknowledgement).")
        msg = serializers.CharField()

    def receipt(self, item: dict) -> receipts.Receipt:
        return receipts.Receipt(
            message_id=item["biz_id"],
            delivered=item["success"],
            code=item["err_code"],
            at=item.get("report_time"),
        )

    def answer(self, counts: receipts.ReceiptsRecorded) -> dict:
        return self.OutputSerializer({"code": 0, "msg": "成功", **vars(counts)}).data

    @extend_schema(
        operation_id="sms_receipts_aliyun",
        request=AliyunReceiptSerializer(many=True),
        responses={
            200: OutputSerializer,
            400: error_response("Not a JSON list of the provider's receipts."),
            403: error_response("Wrong or missing `token`."),
            404: error_response("This provider's receipts are not configured."),
        },
    )
    def post(self, request):
        return super().post(request)


class TencentReceiptView(ReceiptView):
    provider = "tencent"
    item_serializer = TencentReceiptSerializer

    class OutputSerializer(ReceiptCountsSerializer):
        result = StrictIntegerField(help_text="0: received (Tencent's acknowledgement).")
        errmsg = serializers.CharField()

    def receipt(self, item: dict) -> receipts.Receipt:
        return receipts.Receipt(
            message_id=item["sid"],
            delivered=item["report_status"] == "SUCCESS",
            code=item["errmsg"],
            at=item.get("user_receive_time"),
        )

    def answer(self, counts: receipts.ReceiptsRecorded) -> dict:
        return self.OutputSerializer({"result": 0, "errmsg": "OK", **vars(counts)}).data

    @extend_schema(
        operation_id="sms_receipts_tencent",
        request=TencentReceiptSerializer(many=True),
        responses={
            200: OutputSerializer,
            400: error_response("Not a JSON list of the provider's receipts."),
            403: error_response("Wrong or missing `token`."),
            404: error_response("This provider's receipts are not configured."),
        },
    )
    def post(self, request):
        return super().post(request)
