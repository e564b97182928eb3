from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivestreamConfig(AppConfig):
    # Its role permissions: registrations.py.
    name = "livestream"
    verbose_name = _("Livestream duty")
