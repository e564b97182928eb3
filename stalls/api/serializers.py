"""Output shapes shared by the API views, POST /scan and the pages."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.masking import mask_name, mask_phone
from core.serializers import ComputedCharField, ComputedDateField, StrictIntegerField

from .. import selectors
from ..codes import stall_code_url
from ..idcard import decrypt_id_number, masked_id_number
from ..models import Stall
from ..terms import renewal_opens_on


def public_photo_url(stall) -> str | None:
    """The vendor's photo is a licence display: public only while the stall is active."""
    if stall.status == Stall.Status.ACTIVE and stall.photo:
        return stall.photo.url
    return None


def own_photo_url(stall) -> str | None:
    return stall.photo.url if stall.photo else None


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "05:30"})
class ClockTimeField(serializers.TimeField):
    """A time of day as "HH:MM" in Asia/Shanghai (OpenAPI's "time" format needs seconds)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class WindowSerializer(serializers.Serializer):
    start = ClockTimeField()
    end = ClockTimeField()
    days = serializers.ListField(
        child=StrictIntegerField(), help_text="ISO weekdays: 1 Monday .. 7 Sunday."
    )


class SiteUnitSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


class SiteSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["morning_market", "night_market", "convenience_point"])
    address = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    capacity = StrictIntegerField()
    free_slots = serializers.SerializerMethodField()
    hours = WindowSerializer(many=True, source="windows.all")
    goods_categories = serializers.ListField(child=serializers.CharField())
    unit = SiteUnitSerializer()

    def get_free_slots(self, site) -> int:
        return selectors.free_slots(site)


class StallSiteSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    address = serializers.CharField()


class StallPublicSerializer(serializers.Serializer):
    id = StrictIntegerField()
    vendor_name = serializers.SerializerMethodField(help_text="Masked.")
    goods_category = serializers.CharField(source="registration.goods_category")
    site = StallSiteSerializer()
    slot = StrictIntegerField()
    hours = WindowSerializer(many=True, source="site.windows.all")
    status = serializers.CharField(
        help_text="`active`, `suspended`, `withdrawn` (given up) or `lapsed` (not renewed)."
    )
    license_no = serializers.CharField()
    expires_on = serializers.DateField(help_text="The last day the registration is valid.")
    photo_url = ComputedCharField(
        public_photo_url,
        allow_null=True,
        help_text="The vendor's photo (a licence display); null unless the stall is active.",
    )
    trading_now = serializers.SerializerMethodField(
        help_text="Active and inside one of the site's trading windows right now."
    )
    code_url = serializers.SerializerMethodField()

    def get_vendor_name(self, stall) -> str:
        return mask_name(stall.registration.vendor_name)

    def get_trading_now(self, stall) -> bool:
        return stall.status == Stall.Status.ACTIVE and selectors.trading_now(
            stall.site.windows.all()
        )

    def get_code_url(self, stall) -> str:
        return stall_code_url(stall)


def site_scan_body(site, request) -> dict:
    """The body under "site" in POST /scan: as the public site list shows it."""
    return SiteSerializer(selectors.sites_public().get(pk=site.pk)).data


def stall_scan_body(stall, request) -> dict:
    """The body under "stall" in POST /scan: as the public stall view shows it."""
    return StallPublicSerializer(selectors.stalls_public().get(pk=stall.pk)).data


class RegistrationStallSerializer(serializers.Serializer):
    id = StrictIntegerField()
    slot = StrictIntegerField()
    status = serializers.CharField()
    license_no = serializers.CharField()
    code_url = serializers.SerializerMethodField()
    expires_on = serializers.DateField(help_text="The last day the registration is valid.")
    renewal_opens_on = ComputedDateField(
        lambda stall: renewal_opens_on(stall.expires_on),
        help_text="The first day the vendor may renew (POST /stalls/{id}/renew).",
    )
    photo_url = ComputedCharField(
        own_photo_url, allow_null=True, help_text="The vendor's photo (the vendor sees it)."
    )

    def get_code_url(self, stall) -> str:
        return stall_code_url(stall)


class StallOwnSerializer(RegistrationStallSerializer):
    """A stall as its vendor sees it after withdrawing, renewing or adding a photo."""

    site = StallSiteSerializer()


class RegistrationSerializer(serializers.Serializer):
    """A registration as its vendor sees it: the ID number masked."""

    id = StrictIntegerField()
    site = StallSiteSerializer()
    vendor_name = serializers.CharField()
    id_number = serializers.SerializerMethodField(
        help_text="Masked, except for urban officers of the site's unit."
    )
    goods_category = serializers.CharField()
    description = serializers.CharField()
    photo_url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    waiting_position = serializers.SerializerMethodField()
    expires_on = ComputedDateField(
        lambda registration: (
            registration.stall.expires_on if hasattr(registration, "stall") else None
        ),
        allow_null=True,
        help_text="The last day an approved registration is valid (its stall's); null before.",
    )
    slot = serializers.SerializerMethodField()
    hours = serializers.SerializerMethodField()
    stall = serializers.SerializerMethodField()
    reject_reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_id_number(self, registration) -> str:
        officer_units = self.context.get("officer_unit_ids") or set()
        if registration.site.unit_id in officer_units:
            return decrypt_id_number(registration.id_number_encrypted)
        return masked_id_number(registration.id_number_encrypted)

    def get_photo_url(self, registration) -> str | None:
        return registration.photo.url if registration.photo else None

    def _stall(self, registration):
        try:
            return registration.stall
        except Stall.DoesNotExist:
            return None

    def get_status(self, registration) -> str:
        """pending, waiting, approved, rejected, withdrawn (a pending or waiting one), or
        the stall's state when it is not active: suspended, withdrawn, lapsed."""
        stall = self._stall(registration)
        if stall is not None and stall.status != Stall.Status.ACTIVE:
            return stall.status
        return registration.status

    def get_waiting_position(self, registration) -> int | None:
        return selectors.waiting_position(registration=registration)

    def get_slot(self, registration) -> int | None:
        stall = self._stall(registration)
        return stall.slot if stall else None

    @extend_schema_field(WindowSerializer(many=True))
    def get_hours(self, registration):
        if self._stall(registration) is None:
            return []
        return WindowSerializer(registration.site.windows.all(), many=True).data

    @extend_schema_field(RegistrationStallSerializer(allow_null=True))
    def get_stall(self, registration):
        stall = self._stall(registration)
        return RegistrationStallSerializer(stall).data if stall else None


class OfficerRegistrationSerializer(RegistrationSerializer):
    """A registration in an officer's queue, with the vendor's phone."""

    vendor_phone = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    def get_vendor_phone(self, registration) -> str:
        officer_units = self.context.get("officer_unit_ids") or set()
        if registration.site.unit_id in officer_units:
            return registration.vendor.phone
        return mask_phone(registration.vendor.phone)

    def get_decided_by(self, registration) -> int | None:
        return registration.decided_by_id


class StallReportSerializer(serializers.Serializer):
    id = StrictIntegerField()
    stall = StrictIntegerField(source="stall_id")
    license_no = serializers.CharField(source="stall.license_no")
    site = serializers.CharField(source="stall.site.name")
    category = serializers.CharField()
    comment = serializers.CharField()
    photo_url = serializers.SerializerMethodField()
    status = serializers.CharField()
    resolution = serializers.CharField(help_text="The officer's note when closed.")
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_photo_url(self, report) -> str | None:
        return report.photo.url if report.photo else None


class StallAppealSerializer(serializers.Serializer):
    id = StrictIntegerField()
    stall = StrictIntegerField(source="stall_id")
    license_no = serializers.CharField(source="stall.license_no")
    site = serializers.CharField(source="stall.site.name")
    status = serializers.CharField(help_text="`pending`, `upheld` or `dismissed`.")
    reason = serializers.CharField()
    decision_reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    stall_status = serializers.CharField(source="stall.status")


class PledgeSerializer(serializers.Serializer):
    version = serializers.CharField()
    requirements = serializers.ListField(
        child=serializers.CharField(), help_text="In the request's language."
    )
