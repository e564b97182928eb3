"""What stalls declares to the registries below it (core.registrations)."""

from accounts.roles import Role
from core.codes import CodeKind
from core.uploads import UploadKind

from . import codes, pages, permissions
from .api import serializers
from .models import Registration, Stall, StallReport

CODE_KINDS = [
    CodeKind(
        tag=codes.SITE_TAG,
        type="site",
        resolve=codes.resolve_site,
        serialize=serializers.site_scan_body,
        render_page=pages.site_page,
        body_key="site",
    ),
    CodeKind(
        tag=codes.STALL_TAG,
        type="stall",
        resolve=codes.resolve_stall,
        serialize=serializers.stall_scan_body,
        render_page=pages.stall_page,
        body_key="stall",
    ),
]

UPLOADS = {
    "stalls/registrations": UploadKind(
        model=Registration, field="photo", can_see=permissions.registration_photo_visible
    ),
    "stalls/vendors": UploadKind(
        model=Stall, field="photo", can_see=permissions.vendor_photo_visible
    ),
    "stalls/reports": UploadKind(
        model=StallReport, field="photo", can_see=permissions.report_photo_visible
    ),
}

ROLE_PERMISSIONS = {
    Role.URBAN_OFFICER: [
        "stalls.view_site",
        "stalls.view_tradingwindow",
        "stalls.view_registration",
        "stalls.change_registration",
        "stalls.view_stall",
        "stalls.change_stall",
        "stalls.view_inspection",
        "stalls.add_inspection",
        "stalls.view_stallreport",
        "stalls.change_stallreport",
        "stalls.view_stallstatuschange",
        "stalls.view_stallappeal",
        "stalls.change_stallappeal",
        "stalls.view_stallrenewal",
    ],
}


# What an anonymised account loses (privacy.erasure, docs/privacy.md).
PERSONAL_DATA = {
    "stalls.Registration": (
        "vendor",
        {"vendor_name": "", "id_number_encrypted": "", "photo": "", "description": ""},
    ),
    "stalls.Stall": ("registration__vendor", {"photo": ""}),
    "stalls.StallReport": ("reporter", {"comment": "", "photo": ""}),
    "stalls.StallAppeal": ("vendor", {"reason": ""}),
}
