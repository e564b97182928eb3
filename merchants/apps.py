from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    # Its code kinds and role permissions: registrations.py.
    name = "merchants"
    verbose_name = _("Merchant payments")
