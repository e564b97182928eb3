from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StallsConfig(AppConfig):
    name = "stalls"
    verbose_name = _("Stalls")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_permissions
        from core import codes as core_codes
        from core import uploads
        from notifications.delivery import register_audience

        from . import codes, pages, permissions, selectors
        from .api import serializers

        register_audience("site_vendors", selectors.site_vendors, selectors.site_vendor_audiences)
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.SITE_TAG,
                type="site",
                resolve=codes.resolve_site,
                serialize=serializers.site_scan_body,
                render_page=pages.site_page,
                body_key="site",
            )
        )
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.STALL_TAG,
                type="stall",
                resolve=codes.resolve_stall,
                serialize=serializers.stall_scan_body,
                render_page=pages.stall_page,
                body_key="stall",
            )
        )
        uploads.register(
            "stalls/registrations",
            model=self.get_model("Registration"),
            field="photo",
            can_see=permissions.registration_photo_visible,
        )
        uploads.register(
            "stalls/vendors",
            model=self.get_model("Stall"),
            field="photo",
            can_see=permissions.vendor_photo_visible,
        )
        uploads.register(
            "stalls/reports",
            model=self.get_model("StallReport"),
            field="photo",
            can_see=permissions.report_photo_visible,
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
                "stalls.view_stallappeal",
                "stalls.change_stallappeal",
                "stalls.view_stallrenewal",
            ],
        )
