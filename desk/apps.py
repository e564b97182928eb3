from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = _("Service desk")

    def ready(self):
        # Imported here: models are not loaded when apps.py is.
        from accounts.roles import Role, register_role_permissions

        register_role_permissions(
            Role.DISTRICT_ADMIN,
            ["desk.view_assistedact", "desk.view_desksession", "desk.view_agentflag"],
        )
