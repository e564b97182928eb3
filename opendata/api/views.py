"""The open data in the API: the published months and their versions, and the stall
counts per site and month. Public; no person's data."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from core.schema import error_response
from core.serializers import ComputedCharField, ComputedRowsField, StrictIntegerField
from core.throttling import AnonRateThrottle

from .. import selectors

BAD_MONTH = error_response("`month` is missing or not YYYY-MM (`invalid`).")


class OpenVersionSerializer(serializers.Serializer):
    version = StrictIntegerField(help_text="1 is the original; later ones are corrections.")
    published_at = serializers.DateTimeField()
    digest = serializers.CharField()
    previous_digest = serializers.CharField()
    json = serializers.CharField(help_text="Path relative to /open/.")
    csv = serializers.CharField(help_text="Path relative to /open/.")


class OpenMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    versions = OpenVersionSerializer(many=True)


class OpenRankingsView(APIView):
    """GET /open/rankings: every published month and its versions (as /open/index.json)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        licence = serializers.CharField()
        licence_url = serializers.URLField()
        entry_fields = serializers.ListField(
            child=serializers.CharField(),
            help_text="The names of an entry's values, in the order the digest hashes them.",
        )
        months = OpenMonthSerializer(many=True)

    @extend_schema(operation_id="open_rankings", responses={200: OutputSerializer})
    def get(self, request):
        body = selectors.index_body(selectors.published_versions())
        return Response(self.OutputSerializer(body).data, headers=_open_headers())


class OpenSiteCountsSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    site_id = StrictIntegerField()
    site_name = serializers.CharField()
    registrations = StrictIntegerField()
    inspections = StrictIntegerField()
    violations = StrictIntegerField()
    suspensions = StrictIntegerField()
    reports = StrictIntegerField()


class OpenStallsView(APIView):
    """GET /open/stalls?month=YYYY-MM: per site, the month's supervision counts."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="YYYY-MM")

    class OutputSerializer(serializers.Serializer):
        # The object is the month's first day.
        month = ComputedCharField(lambda first_day: first_day.isoformat()[:7])
        sites = ComputedRowsField(
            lambda first_day: selectors.stall_counts(month=first_day),
            child=OpenSiteCountsSerializer(),
        )

    @extend_schema(
        operation_id="open_stalls",
        parameters=[OpenApiParameter("month", str, required=True, description="YYYY-MM")],
        responses={200: OutputSerializer, 400: BAD_MONTH},
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        first_day = selectors.stall_month_parse(data.validated_data["month"])
        if first_day is None:
            raise Invalid(fields={"month": ["YYYY-MM"]})
        return Response(self.OutputSerializer(first_day).data, headers=_open_headers())


def _open_headers() -> dict:
    return {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}
