from .models import User
from .roles import Role


def user_roles(*, user: User) -> list[str]:
    """The user's roles in the order of Role; everyone is a resident."""
    cached = getattr(user, "_duoduo_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    names.add(Role.RESIDENT)
    if user.is_superuser:
        names.add(Role.DISTRICT_ADMIN)
    roles = [role for role in Role.values if role in names]
    user._duoduo_roles = roles
    return roles


def user_has_role(*, user, role: str) -> bool:
    return bool(user and user.is_authenticated) and role in user_roles(user=user)
