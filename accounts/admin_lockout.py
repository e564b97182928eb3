"""django-axes hooks for the admin's password sign-in: who is trying, and the lock-out page."""

import contextlib

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .phone import normalize_phone


class AxesBackend(AxesStandaloneBackend):
    """Axes' check, for sign-ins that come with a request (the admin's form).

    Without a request (a shell, the test client's login) there is no address to lock,
    and the next backend decides.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def axes_username(request, credentials) -> str:
    """The phone tried, normalised, so '138 0013 8000' and '+8613800138000' count as one."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    with contextlib.suppress(ValidationError):
        return normalize_phone(raw)
    return str(raw)[:64]


def lockout_response(request, original_response=None, credentials=None):
    """429, in the request's language, with Retry-After."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "accounts/admin_lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": seconds // 60},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
