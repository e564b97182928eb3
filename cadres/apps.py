from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    # Its code kinds, uploads, role permissions and links: registrations.py.
    name = "cadres"
    verbose_name = _("Cadres and reviews")
