"""What merchants declares to the registries below it (core.registrations)."""

from accounts.roles import Role
from core.codes import CodeKind

from . import codes, pages
from .api import views

CODE_KINDS = [
    CodeKind(
        tag=codes.REQUEST_TAG,
        type="payment_request",
        resolve=codes.resolve_request,
        serialize=views.request_scan_body,
        render_page=pages.request_page,
        body_key="payment_request",
    ),
    CodeKind(
        tag=codes.COUNTER_TAG,
        type="merchant",
        resolve=codes.resolve_counter,
        serialize=views.counter_scan_body,
        render_page=pages.counter_page,
        body_key="merchant",
    ),
]

FINANCE_PERMISSIONS = [
    "merchants.view_statement",
    "merchants.change_statement",
    "merchants.view_payment",
    "merchants.view_paymentrefund",
    "points.view_merchant",
]
ROLE_PERMISSIONS = {
    Role.FINANCE: FINANCE_PERMISSIONS,
    Role.DISTRICT_ADMIN: [
        *FINANCE_PERMISSIONS,
        "merchants.view_merchantcode",
        "merchants.change_merchantcode",
        "merchants.view_paymentrequest",
    ],
}
