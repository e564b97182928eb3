from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    # Its role permissions: registrations.py.
    name = "rankings"
    verbose_name = _("Rankings")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from cadres import hooks

        from . import corrections, pages
        from .cache import RANKINGS

        hooks.review_excluded.connect(
            corrections.correct_after_exclusion, dispatch_uid="rankings.corrections"
        )
        hooks.register_badge_page_part(pages.cadre_history_part)
        # The stored badge pages follow the publications (the history and chart).
        hooks.register_badge_page_version_key(RANKINGS.version_key)
