from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StallsConfig(AppConfig):
    name = "stalls"
    verbose_name = _("Stalls")

    def ready(self):
        from accounts.roles import Role, register_role_permissions
        from core import uploads

        from . import codes, selectors

        codes.register()
        uploads.register(
            "stalls/registrations",
            model=self.get_model("Registration"),
            field="photo",
            can_see=selectors.registration_photo_visible,
        )
        uploads.register(
            "stalls/reports",
            model=self.get_model("StallReport"),
            field="photo",
            can_see=selectors.report_photo_visible,
        )
        register_role_permissions(
            Role.URBAN_OFFICER,
            [
                "stalls.view_site",
                "stalls.view_tradingwindow",
                "stalls.view_registration",
                "stalls.change_registration",
                "stalls.view_stall",
                "stalls.change_stall",
                "stalls.view_inspection",
                "stalls.add_inspection",
                "stalls.view_stallreport",
                "stalls.change_stallreport",
                "stalls.view_stallstatuschange",
            ],
        )
