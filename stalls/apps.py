from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class StallsConfig(AppConfig):
    # Its code kinds, uploads and role permissions: registrations.py.
    name = "stalls"
    verbose_name = _("Stalls")

    def ready(self):
        # Imported here, not at the top: models are not ready when apps.py loads.
        from notifications.delivery import register_audience

        from . import selectors
        from .checks import id_keys_not_the_dev_default, id_keys_valid

        checks.register(id_keys_valid, checks.Tags.security)
        checks.register(id_keys_not_the_dev_default, checks.Tags.security, deploy=True)

        register_audience("site_vendors", selectors.site_vendors, selectors.site_vendor_audiences)
