from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = _("Cadres and reviews")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_link, register_role_permissions
        from core import codes as core_codes
        from core import uploads

        from . import codes, pages, services
        from .api import views

        register_role_link("unit", services.unit_membership_grant)
        register_role_link("cadre", services.cadre_link_user)
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.TAG,
                type="cadre",
                resolve=codes.resolve_cadre,
                serialize=views.cadre_scan_body,
                render_page=pages.cadre_page,
                body_key="cadre",
            )
        )
        # A service ticket: the same type as a badge (the app reviews through either),
        # the cadre's card plus `ticket` under "cadre".
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.TICKET_TAG,
                type="cadre",
                resolve=codes.resolve_ticket,
                serialize=views.ticket_scan_body,
                render_page=pages.ticket_page,
                body_key="cadre",
            )
        )
        # Cadre photos are on their public badge pages.
        uploads.register(
            "cadres", model=self.get_model("Cadre"), field="photo", can_see=_anyone, public=True
        )
        register_role_permissions(
            Role.UNIT_ADMIN,
            [
                "cadres.view_unit",
                "cadres.view_cadre",
                "cadres.add_cadre",
                "cadres.change_cadre",
                "cadres.view_review",
                "cadres.view_overduereview",
            ],
        )
        register_role_permissions(
            Role.DISTRICT_ADMIN,
            [
                f"cadres.{action}_{model}"
                for model in ("unit", "cadre", "unitmembership")
                for action in ("view", "add", "change", "delete")
            ]
            + ["cadres.view_review", "cadres.view_overduereview", "cadres.view_serviceticket"],
        )


def _anyone(user, cadre) -> bool:
    return True
