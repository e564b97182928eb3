"""What points declares to the registries below it (core.registrations)."""

from accounts.roles import Role
from core.codes import CodeKind
from core.uploads import UploadKind

from . import codes, pages, permissions, services
from .api import views
from .models import MoralClaim

CODE_KINDS = [
    CodeKind(
        tag=codes.VOUCHER_TAG,
        type="voucher",
        resolve=codes.resolve_voucher,
        serialize=views.voucher_scan_body,
        render_page=pages.voucher_page,
        body_key="redemption",
    ),
    CodeKind(
        tag=codes.PRIVILEGE_TAG,
        type="privilege_pass",
        resolve=codes.resolve_pass,
        serialize=views.pass_scan_body,
        render_page=pages.pass_page,
        body_key="pass",
    ),
]

UPLOADS = {
    "moral_claims": UploadKind(
        model=MoralClaim, field="photo", can_see=permissions.moral_claim_photo_visible
    )
}

ROLE_LINKS = {"merchant": services.merchant_link_user}

ROLE_PERMISSIONS = {
    Role.MORAL_REVIEWER: [
        "points.view_moralclaim",
        "points.change_moralclaim",
        "points.view_moralcategory",
    ],
    Role.DISTRICT_ADMIN: [
        f"points.{action}_{model}"
        for model in (
            "account",
            "ledgertransaction",
            "entry",
            "campaign",
            "campaignclaim",
            "merchant",
            "reward",
            "redemption",
            "reviewaward",
            "moralcategory",
            "moralclaim",
            "privilegetier",
        )
        for action in ("view", "add", "change")
    ],
}


# What an anonymised account loses (privacy.erasure, docs/privacy.md).
PERSONAL_DATA = {
    "points.MoralClaim": ("resident", {"description": "", "photo": ""}),
}
