from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    name = "rankings"
    verbose_name = _("Rankings")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_permissions
        from cadres import hooks

        from . import corrections, pages

        hooks.review_excluded.connect(
            corrections.correct_after_exclusion, dispatch_uid="rankings.corrections"
        )
        hooks.register_badge_page_part(pages.cadre_history_part)

        register_role_permissions(
            Role.UNIT_ADMIN, ["rankings.view_bottomwarning", "rankings.change_bottomwarning"]
        )
        register_role_permissions(
            Role.DISTRICT_ADMIN,
            [
                "rankings.view_rankingmonth",
                "rankings.change_rankingmonth",
                "rankings.view_rankingentry",
                "rankings.view_bottomwarning",
                "rankings.change_bottomwarning",
            ],
        )
