"""Demo data: an auditor, who reads the audit trail in the admin (docs/audit.md)."""

from .roles import Role
from .services import role_grant, user_get_or_create

AUDITOR_PHONE = "+8613847700038"


def run() -> str:
    user_get_or_create(phone=AUDITOR_PHONE, display_name="审计员赵敏")
    role_grant(phone=AUDITOR_PHONE, role=Role.AUDITOR)
    return f"auditor {AUDITOR_PHONE}"
