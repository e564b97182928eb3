from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MORAL_REVIEWER_PERMISSIONS = [
    "points.view_moralclaim",
    "points.change_moralclaim",
    "points.view_moralcategory",
]
DISTRICT_ADMIN_PERMISSIONS = [
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
]


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_link, register_role_permissions
        from core import codes as core_codes
        from core import uploads

        from . import codes, pages, permissions, services
        from .api import views

        register_role_link("merchant", services.merchant_link_user)
        register_role_permissions(Role.MORAL_REVIEWER, MORAL_REVIEWER_PERMISSIONS)
        register_role_permissions(Role.DISTRICT_ADMIN, DISTRICT_ADMIN_PERMISSIONS)
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.VOUCHER_TAG,
                type="voucher",
                resolve=codes.resolve_voucher,
                serialize=views.voucher_scan_body,
                render_page=pages.voucher_page,
                body_key="redemption",
            )
        )
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.PRIVILEGE_TAG,
                type="privilege_pass",
                resolve=codes.resolve_pass,
                serialize=views.pass_scan_body,
                render_page=pages.pass_page,
                body_key="pass",
            )
        )
        uploads.register(
            "moral_claims",
            model=self.get_model("MoralClaim"),
            field="photo",
            can_see=permissions.moral_claim_photo_visible,
        )
