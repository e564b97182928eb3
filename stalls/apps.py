from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StallsConfig(AppConfig):
    # Its code kinds, uploads and role permissions: registrations.py.
    name = "stalls"
    verbose_name = _("Stalls")

    def ready(self):
        # Imported here, not at the top: models are not ready when apps.py loads.
        from notifications.delivery import register_audience

        from . import selectors

        register_audience("site_vendors", selectors.site_vendors, selectors.site_vendor_audiences)
