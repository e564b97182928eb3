from rest_framework.permissions import BasePermission

from .selectors import user_has_role


def HasRole(*roles: str) -> type[BasePermission]:  # noqa: N802  (reads like a class)
    """A DRF permission class: the user holds at least one of `roles`."""

    class _HasRole(BasePermission):
        def has_permission(self, request, view):
            return any(user_has_role(user=request.user, role=role) for role in roles)

    _HasRole.__name__ = "HasRole_" + "_".join(roles)
    return _HasRole
