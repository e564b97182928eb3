"""The merchants app's access rules, one predicate each."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from core.parties import Party
from points.permissions import is_merchant_of


def is_staff_of(*, user, merchant_id: int) -> bool:
    """The user works at the merchant: its till, payments, refunds and statements."""
    return is_merchant_of(user=user, merchant_id=merchant_id)


def is_finance(*, user) -> bool:
    """The district's finance officers confirm and pay statements (superusers too)."""
    return user_has_role(user=user, role=Role.FINANCE) or bool(
        user.is_authenticated and user.is_superuser
    )


# --- Nobody decides their own case (core/parties.py): who is a party to each decision.


def party_to_statement(*, user, statement) -> Party | None:
    """Confirming or paying a merchant's statement: the merchant's staff (a finance
    officer who also works at the till)."""
    if is_staff_of(user=user, merchant_id=statement.merchant_id):
        return Party.SUBJECT
    return None
