"""The rankings' API: the published months, one month in one scope (stored once
rendered), and a cadre's history."""

import base64
import hashlib
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cadres import selectors as cadres_selectors
from cadres.api.serializers import CadreSerializer, UnitRefSerializer
from core.errors import Invalid, or_404
from core.integers import parse_int
from core.months import parse_month
from core.pagination import CursorPagination, paginate, paginated
from core.schema import error_response
from core.serializers import (
    ComputedURLField,
    StrictIntegerField,
)
from core.throttling import (
    AnonRateThrottle,
)

from .. import diffs, publication, selectors

MAX_INT = 2**31 - 1


# --- A cadre's history -----------------------------------------------------------------


class CadreHistoryEntrySerializer(serializers.Serializer):
    month = serializers.CharField(source="ranking.label", help_text="YYYY-MM")
    rank = StrictIntegerField(allow_null=True, help_text="Across the district.")
    unit_rank = StrictIntegerField(allow_null=True, help_text="Within the cadre's unit.")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="null without reviews."
    )
    reviews = StrictIntegerField()
    verified_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Reviews through a service ticket / reviews."
    )
    bottom = serializers.BooleanField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.reviews:
            data["score"] = None
        return data


class CadreHistoryView(APIView):
    """GET /cadres/{id}/history: the cadre's line in each of the last 12 published months,
    newest first (not paginated: at most 12). Public; never a reviewer."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        cadre = CadreSerializer()
        months = CadreHistoryEntrySerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer, 404: error_response("`not_found`: no such cadre.")}
    )
    def get(self, request, pk):
        cadre = or_404(cadres_selectors.cadre_get(pk=pk))
        history = selectors.CadreHistory(cadre=cadre, months=selectors.cadre_history(cadre=cadre))
        return Response(self.OutputSerializer(history, context={"request": request}).data)


# --- Rankings --------------------------------------------------------------------------

CACHE_SECONDS = publication.MAX_AGE


def _public_cache(response):
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


class MonthPagination(CursorPagination):
    ordering = "-month"


class RankingVersionSerializer(serializers.Serializer):
    """One publication of a month: version 1 on the 4th, then each correction."""

    version = StrictIntegerField()
    published_at = serializers.DateTimeField()
    corrected_at = serializers.DateTimeField(allow_null=True)
    digest = serializers.CharField()
    previous_digest = serializers.CharField(
        help_text="Version 1: the digest of a version of the month before; version n: "
        "the digest of version n - 1."
    )
    excluded_reviews = StrictIntegerField(
        help_text="Reviews of the month excluded since the version before (0 for version 1)."
    )


class RankingMonthListView(APIView):
    """GET /rankings: the published months, newest first (each as its latest version)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    class OutputSerializer(serializers.Serializer):
        month = serializers.CharField(source="label", help_text="YYYY-MM")
        published_at = serializers.DateTimeField()
        version = StrictIntegerField(help_text="The latest version (1: no correction).")
        digest = serializers.CharField()
        previous_digest = serializers.CharField()

    @extend_schema(**paginated(OutputSerializer, operation_id="rankings_list"))
    def get(self, request):
        return _public_cache(
            paginate(
                view=self,
                request=request,
                queryset=selectors.published_months(),
                serialize=lambda ranking: self.OutputSerializer(ranking).data,
                pagination_class=MonthPagination,
            )
        )


class RankingUnitRefSerializer(serializers.Serializer):
    id = StrictIntegerField(source="unit_id")
    name = serializers.CharField(source="unit_name")


class ExcludedCountsSerializer(serializers.Serializer):
    """How many of the month's reviews were left out of the figures, by ground."""

    colleague = StrictIntegerField(source="excluded_colleague")
    appeal = StrictIntegerField(source="excluded_appeal")
    fraud = StrictIntegerField(source="excluded_fraud")

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)


class RankingEntrySerializer(serializers.Serializer):
    """One stored RankingEntry as the API shows it."""

    rank = StrictIntegerField(allow_null=True)
    name = serializers.CharField()
    unit = RankingUnitRefSerializer(source="*")
    cadre_id = StrictIntegerField(allow_null=True)
    reviews = StrictIntegerField()
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    rejection_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="null for a unit or cadre without reviews in the month (listed last).",
    )
    bottom = serializers.BooleanField()
    verified_share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="Reviews through a service ticket (proof of presence) / reviews; 0 without.",
    )
    excluded = ExcludedCountsSerializer(
        help_text="Reviews of the month not counted (colleague, upheld appeal, fraud)."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Without reviews there is nothing to score (the stored 40.00 is what the
        # formulas give for no reviews, kept for the digest).
        if not instance.reviews:
            data["score"] = None
        return data


class ChangeExcludedSerializer(serializers.Serializer):
    colleague = StrictIntegerField()
    appeal = StrictIntegerField()
    fraud = StrictIntegerField()


class RankingChangeSideSerializer(serializers.Serializer):
    """An entry's values in one version."""

    rank = StrictIntegerField(allow_null=True)
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="null without reviews."
    )
    bottom = serializers.BooleanField()
    reviews = StrictIntegerField()
    satisfied = StrictIntegerField(help_text="Reviews rated 4 or 5.")
    bad = StrictIntegerField(help_text="Reviews rated 1 or 2.")
    bad_answered = StrictIntegerField()
    verdicts = StrictIntegerField(help_text="Answers that got the reviewer's verdict.")
    rejected = StrictIntegerField(help_text="Answers the reviewer rejected.")
    verified = StrictIntegerField(help_text="Reviews through a service ticket.")
    excluded = ChangeExcludedSerializer(help_text="Reviews not counted, by ground.")


class RankingChangeSerializer(serializers.Serializer):
    """An entry of this scope that a correction changed against the version it replaces."""

    kind = serializers.ChoiceField(
        choices=diffs.KINDS,
        help_text="`changed`: its figures changed (or it was added or dropped); "
        "`rank_only`: only its rank or bottom flag, because another entry moved.",
    )
    name = serializers.CharField()
    unit = RankingUnitRefSerializer(source="*")
    cadre_id = StrictIntegerField(allow_null=True)
    old = RankingChangeSideSerializer(
        allow_null=True, help_text="In the version replaced; null if it was not listed."
    )
    new = RankingChangeSideSerializer(
        allow_null=True, help_text="In this version; null if it is no longer listed."
    )


def ranking_cursor(offset: int) -> str:
    """The opaque `cursor` of `next` and `previous`: an offset into the month's list."""
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode()


def ranking_offset(cursor: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not decoded.startswith("o="):
        return None
    return parse_int(decoded.removeprefix("o="), min_value=0, max_value=999_999)


def _page_url(offset: int | None, context) -> str | None:
    return None if offset is None else context["page_url"](offset)


class RankingMonthView(APIView):
    """GET /rankings/{YYYY-MM}: one published month, in one scope, as its latest version
    (`?version=N`: that version) with the list of every version.

    A published month is frozen: each body is rendered once (this serializer, DRF's JSON
    renderer) and served as stored bytes with an ETag (rankings.publication), on a hit by
    rankings.middleware before the URLs are resolved and DRF wraps the request. No
    throttle on the stored bytes: one Redis GET is cheaper than counting the address
    (also a Redis call) would be, and the public Cache-Control lets any proxy absorb a
    flood. The throttle guards what reads the database: a miss (first hit, unknown
    month or unit, Redis down)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []
    miss_throttle_classes = [AnonRateThrottle]

    class QuerySerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=["unit", "cadre"], default="unit", required=False)
        unit = StrictIntegerField(min_value=1, max_value=MAX_INT, required=False)
        cursor = serializers.CharField(max_length=40, required=False)
        page_size = StrictIntegerField(
            min_value=1, max_value=CursorPagination.max_page_size, required=False
        )
        version = StrictIntegerField(min_value=1, max_value=32767, required=False)

        def validate_cursor(self, value):
            offset = ranking_offset(value)
            if offset is None:
                raise serializers.ValidationError(_("Invalid cursor."))
            return offset

    class OutputSerializer(serializers.Serializer):
        month = serializers.CharField(source="ranking.label")
        published_at = serializers.DateTimeField(source="ranking.published_at")
        scope = serializers.CharField()
        unit = UnitRefSerializer(allow_null=True, required=False)
        version = StrictIntegerField(source="ranking.version")
        corrected_at = serializers.DateTimeField(source="ranking.corrected_at", allow_null=True)
        excluded_reviews = StrictIntegerField(
            source="ranking.excluded_reviews",
            help_text="Reviews excluded since the version before (0 for version 1).",
        )
        digest = serializers.CharField(source="ranking.digest")
        previous_digest = serializers.CharField(source="ranking.previous_digest")
        verified_only = serializers.BooleanField(
            source="ranking.verified_only",
            help_text="Only reviews through a service ticket counted (RANKINGS_VERIFIED_ONLY).",
        )
        versions = RankingVersionSerializer(many=True)
        entries = RankingEntrySerializer(many=True)
        changes = RankingChangeSerializer(
            many=True,
            help_text="A correction: the entries of this scope (with `unit`: of that unit's "
            "own ranking) that differ from the version it replaces, every one and not "
            "paged; [] for version 1.",
        )
        next = ComputedURLField(
            lambda page, context: _page_url(page.next_offset, context),
            with_context=True,
            allow_null=True,
            help_text="scope=cadre without unit: the next page, or null.",
        )
        previous = ComputedURLField(
            lambda page, context: _page_url(page.previous_offset, context),
            with_context=True,
            allow_null=True,
            help_text="scope=cadre without unit: the previous page, or null.",
        )

    @staticmethod
    def stored_key(request, month: str) -> str:
        """The stored body's key, from the query as sent (a key is only ever stored by a
        request that passed validation); rankings.middleware looks it up before this view."""
        params = request.GET
        scope, unit = params.get("scope"), params.get("unit")
        key = (
            f"{month}:{scope}:{unit}:{params.get('cursor')}:{params.get('page_size')}"
            f":{params.get('version')}"
        )
        if scope == "cadre" and unit is None:
            # The page's URLs are absolute, as in every list: one stored body per origin.
            key = f"{key}:{request.scheme}://{request.get_host()}"
        # Hashed: the query is the client's text, of any length and characters.
        return "api:" + hashlib.sha256(key.encode()).hexdigest()[:32]

    @extend_schema(
        description=(
            "`scope=unit` and `scope=cadre&unit=ID` give the whole list. `scope=cadre` "
            "alone is paginated in rank order: `page_size` entries (default "
            f"{CursorPagination.page_size}, at most {CursorPagination.max_page_size}) and "
            "`next` / `previous` URLs beside `entries` (null at either end); follow `next` "
            "to reach every entry once, in order. Bodies carry an ETag and Last-Modified "
            "(304 on If-None-Match / If-Modified-Since)."
        ),
        parameters=[
            OpenApiParameter("scope", str, enum=["unit", "cadre"], description="Default unit."),
            OpenApiParameter("unit", int, description="With scope=cadre: that unit's cadres."),
            OpenApiParameter("cursor", str, description="scope=cadre: from `next` or `previous`."),
            OpenApiParameter(
                "version",
                int,
                description="A version of the month (see `versions`); the latest by default.",
            ),
            OpenApiParameter(
                "page_size",
                int,
                description=(
                    f"scope=cadre: 1 to {CursorPagination.max_page_size}; "
                    f"{CursorPagination.page_size} by default."
                ),
            ),
        ],
        responses={
            200: OutputSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match, If-Modified-Since)."),
            400: error_response(
                "`invalid`: a bad scope, unit, cursor or page_size; unit without scope=cadre."
            ),
            404: error_response(
                "`not_found`: a month that is unknown, malformed or unpublished; a version "
                "that was not published; a unit without cadres in it; a cursor past the "
                "last entry."
            ),
            429: error_response("`throttled`: too many reads that had to go to the database."),
        },
    )
    def get(self, request, month):
        first_day = or_404(parse_month(month))
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = query.validated_data.get("scope") or "unit"
        unit_id = query.validated_data.get("unit")
        offset = query.validated_data.get("cursor")
        page_size = query.validated_data.get("page_size")
        version = query.validated_data.get("version")
        if unit_id is not None and scope != "cadre":
            raise Invalid(fields={"unit": [_("Use unit with scope=cadre.")]})
        paged = scope == "cadre" and unit_id is None
        if not paged and (offset is not None or page_size is not None):
            field = "cursor" if offset is not None else "page_size"
            raise Invalid(fields={field: [_("Only scope=cadre without unit is paginated.")]})
        if paged:
            offset = offset or 0
            size = page_size or CursorPagination.page_size

        def page_url(at: int) -> str:
            params = {"scope": "cadre", "cursor": ranking_cursor(at)}
            if size != CursorPagination.page_size:
                params["page_size"] = size
            if version is not None:
                params["version"] = version
            return f"{request.build_absolute_uri(request.path)}?{urlencode(params)}"

        def build():
            for throttle in (cls() for cls in self.miss_throttle_classes):
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            ranking = selectors.published_month(month=first_day, version=version)
            if ranking is None:
                return None
            page = selectors.ranking_page(
                ranking=ranking,
                scope=scope,
                unit_id=unit_id,
                offset=offset,
                size=size if paged else None,
            )
            if page is None:
                return None
            body = self.OutputSerializer(page, context={"page_url": page_url}).data
            return publication.rendering(
                JSONRenderer().render(body),
                content_type="application/json",
                last_modified=ranking.published_at,
            )

        key = self.stored_key(request, month)
        found = publication.stored(key, build, request=request)
        return publication.respond(request, or_404(found))
