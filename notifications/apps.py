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
        from .selectors import sms_oldest_pending_age, sms_unknown_count

        # A provider without a template for a kind: stop at start-up, naming the kinds.
        sms_templates_check()

        metrics.register_gauge(
            "duoduo_sms_unknown",
            "SMS whose outcome is unknown (their sender stopped mid-send): notifications "
            "and sign-in codes.",
            sms_unknown_count,
        )
        metrics.register_gauge(
            "duoduo_sms_outbox_oldest_pending_seconds",
            "Age of the oldest notification SMS due and not yet sent (0: none waits).",
            sms_oldest_pending_age,
        )
