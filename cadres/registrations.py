"""What cadres declares to the registries below it (core.registrations)."""

from accounts.roles import Role
from core.codes import CodeKind
from core.uploads import UploadKind

from . import codes, page_cache, pages, selectors, services
from .api import views
from .models import Cadre

CODE_KINDS = [
    CodeKind(
        tag=codes.TAG,
        type="cadre",
        resolve=codes.resolve_cadre,
        serialize=views.cadre_scan_body,
        render_page=pages.cadre_page,
        cached_page=page_cache.cached_page,
        body_key="cadre",
    ),
    # A service ticket: the same type as a badge (the app reviews through either), the
    # cadre's card plus `ticket` under "cadre".
    CodeKind(
        tag=codes.TICKET_TAG,
        type="cadre",
        resolve=codes.resolve_ticket,
        serialize=views.ticket_scan_body,
        render_page=pages.ticket_page,
        body_key="cadre",
    ),
]


def _anyone(user, cadre) -> bool:
    return True


# Cadre photos are on their public badge pages.
UPLOADS = {"cadres": UploadKind(model=Cadre, field="photo", can_see=_anyone, public=True)}

ROLE_LINKS = {"unit": services.unit_membership_grant, "cadre": services.cadre_link_user}

# The unit an actor is recorded with in the audit trail (core.audit).
AUDIT_UNITS = [selectors.audit_unit_name]

ROLE_PERMISSIONS = {
    Role.UNIT_ADMIN: [
        "cadres.view_unit",
        "cadres.view_cadre",
        "cadres.add_cadre",
        "cadres.change_cadre",
        "cadres.view_review",
        "cadres.view_overduereview",
    ],
    Role.DISTRICT_ADMIN: [
        f"cadres.{action}_{model}"
        for model in ("unit", "cadre", "unitmembership")
        for action in ("view", "add", "change", "delete")
    ]
    + ["cadres.view_review", "cadres.view_overduereview", "cadres.view_serviceticket"],
}


# What an anonymised account loses (privacy.erasure, docs/privacy.md): the review keeps
# its rating and text (anonymous as always), not the device and address hashes.
PERSONAL_DATA = {
    "cadres.Review": ("reviewer", {"device_hash": "", "address_hash": ""}),
}
