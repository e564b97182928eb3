"""What accounts declares to the registries (core.registrations)."""

from .roles import Role

# The audit trail (core.AuditEvent, docs/audit.md): read-only in the admin, for auditors
# and district administrators.
ROLE_PERMISSIONS = {
    Role.AUDITOR: ["core.view_auditevent"],
    Role.DISTRICT_ADMIN: ["core.view_auditevent"],
}

# What an anonymised account loses (privacy.erasure, docs/privacy.md): the codes and
# wrong tries of its phone, the consents' history stays (the account is anonymous).
PERSONAL_DATA = {
    "accounts.OtpCode": ("phone", None),
    "accounts.OtpGuess": ("phone", None),
    "accounts.WechatBinding": ("user", None),
}
