from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = _("Cadres and reviews")

    def ready(self):
        from accounts.roles import register_role_link

        from . import services

        register_role_link("unit", services.unit_membership_grant)
        register_role_link("cadre", services.cadre_link_user)
