from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

FINANCE_PERMISSIONS = [
    "merchants.view_statement",
    "merchants.change_statement",
    "merchants.view_payment",
    "merchants.view_paymentrefund",
    "points.view_merchant",
]
DISTRICT_ADMIN_PERMISSIONS = [
    *FINANCE_PERMISSIONS,
    "merchants.view_merchantcode",
    "merchants.change_merchantcode",
    "merchants.view_paymentrequest",
]


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchant payments")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_permissions
        from core import codes as core_codes

        from . import codes, pages
        from .api import views

        register_role_permissions(Role.FINANCE, FINANCE_PERMISSIONS)
        register_role_permissions(Role.DISTRICT_ADMIN, DISTRICT_ADMIN_PERMISSIONS)
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.REQUEST_TAG,
                type="payment_request",
                resolve=codes.resolve_request,
                serialize=views.request_scan_body,
                render_page=pages.request_page,
                body_key="payment_request",
            )
        )
        core_codes.register(
            core_codes.CodeKind(
                tag=codes.COUNTER_TAG,
                type="merchant",
                resolve=codes.resolve_counter,
                serialize=views.counter_scan_body,
                render_page=pages.counter_page,
                body_key="merchant",
            )
        )
