"""Notifications: one mechanism for every app (issue 12)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    # Its role permissions: registrations.py.
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Imported here, not at the top: selectors need the models.
        from core import metrics

        from .checks import sms_templates_check
        from .selectors import SMS_GAUGES

        # A provider without a template for a kind: stop at start-up, naming the kinds.
        sms_templates_check()
        for name, documentation, read in SMS_GAUGES:
            metrics.register_gauge(name, documentation, read)
