from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    # Its code kinds, uploads, role permissions and links: registrations.py.
    name = "cadres"
    verbose_name = _("Cadres and reviews")

    def ready(self):
        # Imported here, not at the top: models are not ready when apps.py loads.
        from . import page_cache
        from .models import Cadre, Unit

        # A cadre's or unit's change (name, title, photo, unit, active) shows on the
        # stored signed-out badge pages (cadres.page_cache): all are rebuilt.
        for model in (Cadre, Unit):
            for signal in (post_save, post_delete):
                signal.connect(
                    page_cache.cadre_or_unit_changed,
                    sender=model,
                    dispatch_uid=f"badge-pages-{model.__name__}",
                )
