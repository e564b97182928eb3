from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self):
        # Imported here, not at the top: the schema extensions import DRF settings and the
        # apps; the apps' registrations import their models, pages and views.
        from celery import signals

        from . import codes, observe, schema, uploads  # noqa: F401  (schema registers the OpenAPI extensions)
        from .registrations import declared

        for kind in declared("CODE_KINDS"):
            codes.register(kind)
        for folder, upload in declared("UPLOADS"):
            uploads.register(folder, upload)

        signals.before_task_publish.connect(observe.task_published, weak=False)
        signals.task_prerun.connect(observe.task_started, weak=False)
        signals.task_postrun.connect(observe.task_finished, weak=False)
        signals.task_failure.connect(observe.task_failed, weak=False)
        signals.worker_init.connect(observe.worker_started, weak=False)
        if settings.LOG_FORMAT == "json":
            signals.setup_logging.connect(observe.worker_logging, weak=False)
