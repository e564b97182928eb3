"""Notifications: one mechanism for every app (issue 12).

Layer: config -> stalls -> cadres -> points -> notifications -> accounts -> core.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DISTRICT_ADMIN_PERMISSIONS = [
    "notifications.view_notification",
    "notifications.view_broadcast",
    "notifications.add_broadcast",
]


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Imported here, not at the top: roles and selectors need the models, not ready
        # when apps.py loads.
        from accounts.roles import Role, register_role_permissions
        from core import metrics

        from .selectors import sms_unknown_count

        register_role_permissions(Role.DISTRICT_ADMIN, DISTRICT_ADMIN_PERMISSIONS)
        metrics.register_gauge(
            "duoduo_sms_unknown",
            "SMS whose outcome is unknown (their sender stopped mid-send): notifications "
            "and sign-in codes.",
            sms_unknown_count,
        )
