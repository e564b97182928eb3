"""What livestream declares to the registries below it (core.registrations)."""

from accounts.roles import Role

_MODELS = ("product", "session", "income", "transfer")
_COMPLIANCE = ["livestream.view_overdueincome", "livestream.view_quotashortfall"]

ROLE_PERMISSIONS = {
    Role.LIVE_OPERATOR: ["livestream.view_product", "livestream.add_product"]
    + ["livestream.change_product"]
    + [f"livestream.{a}_session" for a in ("view", "add", "change")]
    + ["livestream.view_income", "livestream.add_income", "livestream.view_transfer"],
    Role.UNIT_ADMIN: ["livestream.view_product", "livestream.view_session"]
    + ["livestream.add_session", "livestream.view_income", "livestream.view_transfer"]
    + _COMPLIANCE,
    Role.DISCIPLINE_INSPECTOR: [f"livestream.view_{m}" for m in _MODELS]
    + ["livestream.change_transfer"]
    + _COMPLIANCE,
    Role.DISTRICT_ADMIN: [f"livestream.view_{m}" for m in _MODELS] + _COMPLIANCE,
}
