"""The stalls API: one thin view per operation (API.md, Stalls)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.consent import consent_require
from accounts.permissions import HasRole
from accounts.roles import Role
from core import codes
from core.errors import Forbidden, or_404
from core.idempotency import idempotent
from core.pagination import PAGE_PARAMETERS, paginate, paginated
from core.parsers import UPLOAD_PARSERS
from core.qr import qr_png
from core.schema import error_response
from core.serializers import ComputedCharField, ComputedIntegerField, StrictIntegerField
from core.throttling import AnonRateThrottle, ScopedThrottle, UserRateThrottle

from .. import permissions, selectors, services
from ..cache import PUBLIC
from ..codes import site_code_url, stall_code_url
from ..models import GoodsCategory, Inspection, Registration, Stall, StallAppeal, StallReport
from ..pledge import PLEDGE_VERSION, REQUIREMENTS
from ..poster import site_poster_pdf
from .pagination import SitePagination
from .serializers import (
    OfficerRegistrationSerializer,
    PledgeSerializer,
    RegistrationSerializer,
    SiteSerializer,
    StallAppealSerializer,
    StallOwnSerializer,
    StallPublicSerializer,
    StallReportSerializer,
)

MANAGERS = HasRole(Role.URBAN_OFFICER, Role.DISTRICT_ADMIN)


def _managed_site_or_403(request, pk):
    site = or_404(selectors.sites_public().filter(pk=pk).first())
    if not permissions.can_manage(user=request.user, unit_id=site.unit_id):
        raise Forbidden()
    return site


class SiteListView(APIView):
    """GET /stalls/sites: every site with its free slots (public)."""

    permission_classes = [AllowAny]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]

    @extend_schema(**paginated(SiteSerializer))
    def get(self, request):
        def build():
            return paginate(
                view=self,
                request=request,
                queryset=selectors.sites_public(),
                serialize=lambda site: SiteSerializer(site).data,
                pagination_class=SitePagination,
            ).data

        if request.query_params:
            # Cursors and the like are not cached: nobody fills the cache with made-up keys.
            return Response(build())
        return Response(
            PUBLIC.get_or_build(f"sites:{request.scheme}://{request.get_host()}", build)
        )


class SiteDetailView(APIView):
    """GET /stalls/sites/{id}: one site (public)."""

    permission_classes = [AllowAny]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]

    @extend_schema(responses={200: SiteSerializer})
    def get(self, request, pk):
        site = or_404(selectors.sites_public().filter(pk=pk).first())
        return Response(SiteSerializer(site).data)


class SiteQrPngView(APIView):
    """GET /stalls/sites/{id}/qr.png: the site's Stall Management Code."""

    permission_classes = [MANAGERS]

    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY)},
        description="Urban officers of the site's unit and district_admin.",
    )
    def get(self, request, pk):
        site = _managed_site_or_403(request, pk)
        return HttpResponse(qr_png(site_code_url(site)), content_type="image/png")


class SitePosterView(APIView):
    """GET /stalls/sites/{id}/poster.pdf: the A4 poster carrying the site's code."""

    permission_classes = [MANAGERS]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, pk):
        site = _managed_site_or_403(request, pk)
        response = HttpResponse(site_poster_pdf(site), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="site-{site.pk}-poster.pdf"'
        return response


class SiteQrRotateView(APIView):
    """POST /stalls/sites/{id}/qr/rotate: a new code; old posters stop resolving."""

    permission_classes = [MANAGERS]

    class OutputSerializer(serializers.Serializer):
        code_url = ComputedCharField(site_code_url)
        code_version = StrictIntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request, pk):
        # The service checks the officer manages the site (the admin's action shares it).
        site = or_404(selectors.sites_public().filter(pk=pk).first())
        site = services.site_code_rotate(site=site, actor=request.user)
        return Response(self.OutputSerializer(site).data)


def _stall_or_404(pk) -> Stall:
    return or_404(selectors.stalls_public().filter(pk=pk).first())


class StallQrPngView(APIView):
    """GET /stalls/{id}/qr.png: the stall's own code."""

    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY)},
        description="The vendor, urban officers of the site's unit, district_admin.",
    )
    def get(self, request, pk):
        stall = _stall_or_404(pk)
        if stall.registration.vendor_id != request.user.pk and not permissions.can_manage(
            user=request.user, unit_id=stall.site.unit_id
        ):
            raise Forbidden()
        return HttpResponse(qr_png(stall_code_url(stall)), content_type="image/png")


class RegistrationsView(APIView):
    """POST /stalls/registrations: a vendor registers at a scanned site.
    GET /stalls/registrations: the registrations of the officer's units (the queue)."""

    parser_classes = UPLOAD_PARSERS

    class InputSerializer(serializers.Serializer):
        site_code = serializers.CharField(max_length=512, help_text="The site URL scanned.")
        vendor_name = serializers.CharField(max_length=50)
        id_number = serializers.CharField(max_length=32)
        goods_category = serializers.ChoiceField(choices=GoodsCategory.choices)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)
        photo = serializers.ImageField(required=False)
        waitlist = serializers.BooleanField(
            default=False,
            help_text="When the site is full, join its waiting list instead of a 409.",
        )
        pledge_version = serializers.CharField(
            max_length=16,
            required=False,
            help_text="The version of the pledge (GET /stalls/pledge) the app showed the "
            "vendor. Registering accepts the current pledge, whose version is recorded; "
            "an older version is 409 `pledge_outdated`. Optional: without it the current "
            "pledge is accepted.",
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        status = serializers.CharField(help_text="`pending`, or `waiting` (waiting list).")
        waiting_position = ComputedIntegerField(
            lambda registration: selectors.waiting_position(registration=registration),
            allow_null=True,
        )

    def get_permissions(self):
        if self.request.method == "GET":
            return [MANAGERS()]
        return [IsAuthenticated()]

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            404: error_response("`code_invalid`, `code_revoked`: the site code."),
            409: error_response(
                "`site_full`: no free slot (send `waitlist: true` to wait); "
                "`registration_exists`: an open registration at this site; "
                "`pledge_outdated`: `pledge_version` is not the current pledge."
            ),
        },
    )
    def post(self, request):
        consent_require(user=request.user, purpose="id_number")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        site = codes.resolve_as(values.pop("site_code"), "site")
        registration = services.registration_create(vendor=request.user, site=site, **values)
        return Response(self.OutputSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=Registration.Status.values, required=False, type=str),
            *PAGE_PARAMETERS,
        ],
        responses=paginated(OfficerRegistrationSerializer)["responses"],
    )
    def get(self, request):
        wanted = request.query_params.get("status")
        if wanted not in (None, *Registration.Status.values):
            wanted = "-"
        queryset = selectors.registrations_for_officer(user=request.user, status=wanted)
        context = {"officer_unit_ids": selectors.id_number_unit_ids(user=request.user)}
        shown = []

        def serialize(row):
            shown.append(row)
            return OfficerRegistrationSerializer(row, context=context).data

        response = paginate(view=self, request=request, queryset=queryset, serialize=serialize)
        services.registrations_revealed(officer=request.user, rows=shown, **context)
        return response


class RegistrationMineView(APIView):
    """GET /stalls/registrations/mine: the vendor's own registrations."""

    @extend_schema(**paginated(RegistrationSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.registrations_of_vendor(vendor=request.user),
            serialize=lambda row: RegistrationSerializer(row).data,
        )


def _registration_or_404(pk) -> Registration:
    return or_404(
        Registration.objects.select_related("site", "vendor", "decided_by").filter(pk=pk).first()
    )


class RegistrationDetailView(APIView):
    """GET /stalls/registrations/{id}: its vendor, or the officers of the site's unit."""

    @extend_schema(responses={200: OfficerRegistrationSerializer})
    def get(self, request, pk):
        registration = or_404(
            Registration.objects.select_related("site", "vendor", "stall").filter(pk=pk).first()
        )
        if registration.vendor_id == request.user.pk:
            return Response(OfficerRegistrationSerializer(registration).data)
        if not permissions.can_manage(user=request.user, unit_id=registration.site.unit_id):
            raise Forbidden()
        context = {"officer_unit_ids": selectors.id_number_unit_ids(user=request.user)}
        services.registrations_revealed(officer=request.user, rows=[registration], **context)
        return Response(OfficerRegistrationSerializer(registration, context=context).data)


class RegistrationApproveView(APIView):
    """POST /stalls/registrations/{id}/approve: onto a free slot; creates the stall."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        slot = StrictIntegerField(min_value=1, max_value=1000)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: StallPublicSerializer,
            400: error_response("`invalid`: e.g. a slot outside 1..capacity."),
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_subject`: "
                "one's own registration; `own_case_recorder`: filed it at a service desk."
            ),
            409: error_response(
                "`slot_taken`: another active stall holds the slot; `registration_already_decided`."
            ),
        },
    )
    def post(self, request, pk):
        registration = _registration_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stall = services.registration_approve(
            registration=registration, officer=request.user, slot=data.validated_data["slot"]
        )
        stall = _stall_or_404(stall.pk)
        return Response(StallPublicSerializer(stall).data, status=status.HTTP_201_CREATED)


class RegistrationRejectView(APIView):
    """POST /stalls/registrations/{id}/reject: with a reason for the vendor."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        status = serializers.CharField()
        reject_reason = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_subject`: "
                "one's own registration; `own_case_recorder`: filed it at a service desk."
            ),
            409: error_response("`registration_already_decided`."),
        },
    )
    def post(self, request, pk):
        registration = _registration_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.registration_reject(
            registration=registration, officer=request.user, **data.validated_data
        )
        return Response(self.OutputSerializer(registration).data)


class RegistrationReviewView(APIView):
    """POST /stalls/registrations/{id}/review: the vendor reviews the deciding officer."""

    throttle_classes = [UserRateThrottle, ScopedThrottle]
    throttle_scope = "review"

    class InputSerializer(serializers.Serializer):
        rating = StrictIntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True)
        tags = serializers.ListField(
            child=serializers.CharField(max_length=32),
            max_length=10,
            required=False,
            help_text="Tags of a cadre review: attitude, efficiency, professionalism, "
            "fairness, integrity.",
        )

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        points_awarded = StrictIntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            403: error_response("`permission_denied`: not this registration's vendor."),
            409: error_response(
                "`registration_not_decided`; `officer_not_reviewable`: the officer has no "
                "cadre record; `cadre_inactive`; `already_reviewed_today`; "
                "`idempotency_key_in_progress`."
            ),
        },
        description="A cadre review of the officer who decided the registration: it counts "
        "in the officer's and the unit's monthly rankings and awards review points.",
    )
    @idempotent
    def post(self, request, pk):
        registration = _registration_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.registration_review(
            registration=registration, vendor=request.user, **data.validated_data
        )
        return Response(self.OutputSerializer(review).data, status=status.HTTP_201_CREATED)


class StallDetailView(APIView):
    """GET /stalls/{id}: the public view of a stall."""

    permission_classes = [AllowAny]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]

    @extend_schema(responses={200: StallPublicSerializer})
    def get(self, request, pk):
        def build():
            stall = _stall_or_404(pk)
            return {
                "body": StallPublicSerializer(stall).data,
                "windows": [
                    (w.start.isoformat(), w.end.isoformat(), w.days_mask)
                    for w in stall.site.windows.all()
                ],
            }

        entry = PUBLIC.get_or_build(f"stall:{pk}", build)
        # Cached for seconds, but "trading now" is worked out for this very moment.
        body = dict(entry["body"])
        body["trading_now"] = body["status"] == Stall.Status.ACTIVE and selectors.trading_now(
            [selectors.Window.from_iso(*window) for window in entry["windows"]]
        )
        return Response(body)


class StallReportCreateView(APIView):
    """POST /stalls/{id}/reports: public supervision by any signed-in user."""

    parser_classes = UPLOAD_PARSERS

    throttle_classes = [UserRateThrottle, ScopedThrottle]
    throttle_scope = "report"

    class InputSerializer(serializers.Serializer):
        # Checked by the service (400 `invalid`): a plain string keeps the schema's enums
        # free of collisions with other apps' "category" fields.
        category = serializers.CharField(
            max_length=16, help_text="`hygiene`, `blocking_road`, `pricing` or `other`."
        )
        comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)
        photo = serializers.ImageField(required=False)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: StallReportSerializer},
    )
    def post(self, request, pk):
        consent_require(user=request.user)
        stall = _stall_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(stall=stall, reporter=request.user, **data.validated_data)
        return Response(StallReportSerializer(report).data, status=status.HTTP_201_CREATED)


class StallInspectionView(APIView):
    """POST /stalls/{id}/inspections: 3 violations within 30 days suspend the stall."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=Inspection.Result.choices)
        notes = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        result = serializers.CharField()
        notes = serializers.CharField()
        inspected_at = serializers.DateTimeField()
        stall_status = serializers.CharField(
            source="stall.status", help_text="`active` or `suspended`."
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_subject`: "
                "one's own stall."
            ),
        },
    )
    def post(self, request, pk):
        stall = _stall_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inspection = services.inspection_record(
            stall=stall, officer=request.user, **data.validated_data
        )
        return Response(self.OutputSerializer(inspection).data, status=status.HTTP_201_CREATED)


class StallReinstateView(APIView):
    """POST /stalls/{id}/reinstate: an officer puts a suspended stall back."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)
        slot = StrictIntegerField(
            min_value=1,
            max_value=1000,
            required=False,
            help_text="Another free slot, when the old one went to the waiting list.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: StallPublicSerializer,
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_subject`: "
                "one's own stall."
            ),
            409: error_response("`stall_not_suspended`; `slot_taken`."),
        },
    )
    def post(self, request, pk):
        stall = _stall_or_404(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.stall_reinstate(stall=stall, officer=request.user, **data.validated_data)
        return Response(StallPublicSerializer(_stall_or_404(pk)).data)


class ReportListView(APIView):
    """GET /stalls/reports: reports about stalls of the officer's units."""

    permission_classes = [MANAGERS]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", required=False, type=str, description="`open` or `closed`."),
            *PAGE_PARAMETERS,
        ],
        responses=paginated(StallReportSerializer)["responses"],
    )
    def get(self, request):
        wanted = request.query_params.get("status")
        if wanted not in (None, *StallReport.Status.values):
            wanted = "-"
        return paginate(
            view=self,
            request=request,
            queryset=selectors.reports_for_officer(user=request.user, status=wanted),
            serialize=lambda report: StallReportSerializer(report).data,
        )


class ReportMineView(APIView):
    """GET /stalls/reports/mine: the reporter's own reports and their outcome."""

    @extend_schema(**paginated(StallReportSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.reports_of_reporter(reporter=request.user),
            serialize=lambda report: StallReportSerializer(report).data,
        )


class ReportCloseView(APIView):
    """POST /stalls/reports/{id}/close: an officer closes a report with a note."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        resolution = serializers.CharField(max_length=1000)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: StallReportSerializer,
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_author`: "
                "one's own report; `own_case_subject`: a report on one's own stall."
            ),
            409: error_response("`report_already_closed`."),
        },
    )
    def post(self, request, pk):
        report = or_404(StallReport.objects.select_related("stall__site").filter(pk=pk).first())
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_close(report=report, officer=request.user, **data.validated_data)
        return Response(StallReportSerializer(report).data)


class PledgeView(APIView):
    """GET /stalls/pledge: the vendor's pledge, accepted by registering."""

    permission_classes = [AllowAny]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]

    @extend_schema(
        responses={200: PledgeSerializer},
        description="The district's four requirements of a vendor, in the request's "
        "language, and the version a registration records.",
    )
    def get(self, request):
        pledge = {"version": PLEDGE_VERSION, "requirements": [str(r) for r in REQUIREMENTS]}
        return Response(PledgeSerializer(pledge).data)


class RegistrationWithdrawView(APIView):
    """POST /stalls/registrations/{id}/withdraw: the vendor withdraws a pending one."""

    @extend_schema(
        request=None,
        responses={
            200: RegistrationSerializer,
            403: error_response("`permission_denied`: not this registration's vendor."),
            409: error_response(
                "`registration_already_decided`: only a pending or waiting registration "
                "can be withdrawn (an approved one: withdraw its stall)."
            ),
        },
    )
    def post(self, request, pk):
        registration = _registration_or_404(pk)
        services.registration_withdraw(registration=registration, vendor=request.user)
        row = selectors.registrations_of_vendor(vendor=request.user).get(pk=pk)
        return Response(RegistrationSerializer(row).data)


def _own_stall(pk) -> Stall:
    return or_404(Stall.objects.select_related("site", "registration").filter(pk=pk).first())


class StallWithdrawView(APIView):
    """POST /stalls/{id}/withdraw: the vendor gives the stall up; the slot goes on."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: StallOwnSerializer,
            403: error_response("`permission_denied`: not this stall's vendor."),
            409: error_response("`stall_not_active`: already withdrawn or lapsed."),
        },
        description="The stall becomes `withdrawn` for good; an active stall's slot goes at "
        "once to the first vendor on the site's waiting list.",
    )
    def post(self, request, pk):
        stall = _own_stall(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stall = services.stall_withdraw(stall=stall, vendor=request.user, **data.validated_data)
        return Response(StallOwnSerializer(stall).data)


class StallRenewView(APIView):
    """POST /stalls/{id}/renew: the vendor renews near the expiry; the slot stays."""

    @extend_schema(
        request=None,
        responses={
            200: StallOwnSerializer,
            403: error_response("`permission_denied`: not this stall's vendor."),
            409: error_response(
                "`renewal_not_open`: outside the last STALL_RENEWAL_WINDOW_DAYS (30) days "
                "up to `expires_on`, or already renewed; `stall_not_active`: withdrawn "
                "or lapsed."
            ),
        },
        description="Moves `expires_on` on by STALL_REGISTRATION_MONTHS (12) from the old "
        "expiry. Two renewals at once extend once.",
    )
    def post(self, request, pk):
        stall = services.stall_renew(stall=_own_stall(pk), vendor=request.user)
        return Response(StallOwnSerializer(stall).data)


class StallPhotoView(APIView):
    """POST /stalls/{id}/photo: the vendor's photo for the licence display."""

    parser_classes = UPLOAD_PARSERS

    # Each upload is decoded and resized: counted with the reports' uploads.
    throttle_classes = [UserRateThrottle, ScopedThrottle]
    throttle_scope = "report"

    class InputSerializer(serializers.Serializer):
        photo = serializers.ImageField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            200: StallOwnSerializer,
            400: error_response("`invalid`: not an image, over 5 MB or 40 megapixels."),
            403: error_response("`permission_denied`: not this stall's vendor."),
            409: error_response("`stall_not_active`: withdrawn or lapsed."),
        },
        description="Stored resized (at most 600 px a side), as JPEG without EXIF; "
        "`photo_url` on the public stall view while the stall is active.",
    )
    def post(self, request, pk):
        stall = _own_stall(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stall = services.stall_photo_set(
            stall=stall, vendor=request.user, photo=data.validated_data["photo"]
        )
        return Response(StallOwnSerializer(stall).data)


class StallAppealCreateView(APIView):
    """POST /stalls/{id}/appeals: the vendor appeals against the suspension."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: StallAppealSerializer,
            403: error_response("`permission_denied`: not this stall's vendor."),
            409: error_response(
                "`stall_not_suspended`; `appeal_exists`: an appeal is waiting for a decision."
            ),
        },
    )
    def post(self, request, pk):
        stall = _own_stall(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_create(stall=stall, vendor=request.user, **data.validated_data)
        return Response(StallAppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class AppealListView(APIView):
    """GET /stalls/appeals: appeals about stalls of the officer's units (the queue)."""

    permission_classes = [MANAGERS]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=StallAppeal.Status.values, required=False, type=str),
            *PAGE_PARAMETERS,
        ],
        responses=paginated(StallAppealSerializer)["responses"],
    )
    def get(self, request):
        wanted = request.query_params.get("status")
        if wanted not in (None, *StallAppeal.Status.values):
            wanted = "-"
        return paginate(
            view=self,
            request=request,
            queryset=selectors.appeals_for_officer(user=request.user, status=wanted),
            serialize=lambda appeal: StallAppealSerializer(appeal).data,
        )


class AppealMineView(APIView):
    """GET /stalls/appeals/mine: the vendor's own appeals and their outcome."""

    @extend_schema(**paginated(StallAppealSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.appeals_of_vendor(vendor=request.user),
            serialize=lambda appeal: StallAppealSerializer(appeal).data,
        )


class StallAppealDecideView(APIView):
    """POST /stalls/appeals/{id}/decide: an officer who recorded none of the violations."""

    permission_classes = [MANAGERS]

    class InputSerializer(serializers.Serializer):
        upheld = serializers.BooleanField(help_text="true reinstates the stall.")
        reason = serializers.CharField(max_length=1000)
        slot = StrictIntegerField(
            min_value=1,
            max_value=1000,
            required=False,
            help_text="Upheld: another free slot, when the old one went to the waiting list.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: StallAppealSerializer,
            400: error_response("`invalid`: e.g. a slot outside 1..capacity."),
            403: error_response(
                "`permission_denied`: not an officer of the site's unit; `own_case_subject`: "
                "one's own stall; `own_case_recorder`: recorded a violation behind the "
                "suspension."
            ),
            409: error_response(
                "`appeal_already_decided`; upheld: `stall_not_suspended`, `slot_taken`."
            ),
        },
    )
    def post(self, request, pk):
        appeal = or_404(
            StallAppeal.objects.select_related("stall", "stall__site").filter(pk=pk).first()
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_decide(appeal=appeal, officer=request.user, **data.validated_data)
        appeal = selectors.appeals_for_officer(user=request.user).get(pk=appeal.pk)
        return Response(StallAppealSerializer(appeal).data)
