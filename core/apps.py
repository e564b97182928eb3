from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self):
        # Imported here, not at the top: the schema extensions import DRF settings and the
        # apps; the apps' registrations import their models, pages and views.
        from . import codes, observe, schema, uploads  # noqa: F401  (schema registers the OpenAPI extensions)
        from .checks import statistics_kept
        from .registrations import declared

        for kind in declared("CODE_KINDS"):
            codes.register(kind)
        for folder, upload in declared("UPLOADS"):
            uploads.register(folder, upload)
        observe.celery_signals_connect()
        checks.register(statistics_kept, checks.Tags.database, deploy=True)
