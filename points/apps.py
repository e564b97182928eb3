from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    # Its code kinds, uploads, role permissions and links: registrations.py.
    name = "points"
    verbose_name = _("Points")
