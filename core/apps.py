from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self):
        # Imported here, not at the top: the schema extensions import DRF settings and the apps.
        from . import schema  # noqa: F401  (registers the OpenAPI extensions)
