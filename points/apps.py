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
        from accounts.roles import Role, register_role_link, register_role_permissions
        from core import uploads

        from . import code_kinds, selectors, services

        register_role_link("merchant", services.merchant_link_user)
        register_role_permissions(Role.MORAL_REVIEWER, MORAL_REVIEWER_PERMISSIONS)
        register_role_permissions(Role.DISTRICT_ADMIN, DISTRICT_ADMIN_PERMISSIONS)
        code_kinds.register()
        uploads.register(
            "moral_claims",
            model=self.get_model("MoralClaim"),
            field="photo",
            can_see=selectors.moral_claim_photo_visible,
        )
