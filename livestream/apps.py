from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivestreamConfig(AppConfig):
    name = "livestream"
    verbose_name = _("Livestream duty")

    def ready(self):
        from accounts.roles import Role, register_role_permissions

        models = ("product", "session", "income", "transfer")
        compliance = ["livestream.view_overdueincome", "livestream.view_quotashortfall"]
        register_role_permissions(
            Role.LIVE_OPERATOR,
            ["livestream.view_product", "livestream.add_product", "livestream.change_product"]
            + [f"livestream.{a}_session" for a in ("view", "add", "change")]
            + ["livestream.view_income", "livestream.add_income", "livestream.view_transfer"],
        )
        register_role_permissions(
            Role.UNIT_ADMIN,
            ["livestream.view_product", "livestream.view_session", "livestream.add_session"]
            + ["livestream.view_income", "livestream.view_transfer"]
            + compliance,
        )
        register_role_permissions(
            Role.DISCIPLINE_INSPECTOR,
            [f"livestream.view_{m}" for m in models] + ["livestream.change_transfer"] + compliance,
        )
        register_role_permissions(
            Role.DISTRICT_ADMIN, [f"livestream.view_{m}" for m in models] + compliance
        )
