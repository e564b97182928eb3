"""django-axes hooks for the admin's password sign-in: who is trying, the three limits,
and the lock-out page.

Axes records every failure (per phone, address and browser) in the database. Its own
check locks a phone from one address (AXES_FAILURE_LIMIT); `AdminLockoutHandler` adds
the limits across addresses and across phones (accounts.selectors.admin_lock), read
from the same rows, so every process sees them.
"""

import contextlib

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from core.net import client_ip

from .phone import normalize_phone
from .selectors import admin_lock, admin_locks
from .services import admin_signin_refused


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


def current_lock(request, credentials):
    """The full limit that refuses this sign-in, or None."""
    return admin_lock(
        phone=axes_username(request, credentials), address=client_ip(request), now=timezone.now()
    )


class AdminLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, locked by any of the three limits, not the pair's alone.

    Axes still locks the pair at its AXES_FAILURE_LIMIT-th failure itself; the limits
    across addresses or phones refuse the tries after the one that filled them.
    """

    def is_locked(self, request, credentials=None) -> bool:
        return current_lock(request, credentials) is not None


def lockout_response(request, original_response=None, credentials=None):
    """429, in the request's language, saying which limit is full, with Retry-After (at
    most that limit's cool-off); the refusal is counted for /metrics."""
    # The try that filled the pair's limit itself is answered here too.
    lock = current_lock(request, credentials) or admin_locks()["pair"]
    admin_signin_refused(limit=lock.limit)
    seconds = int(lock.cooloff.total_seconds())
    response = render(
        request,
        "accounts/admin_lockout.html",
        {"limit": lock.limit, "failure_limit": lock.failures, "cooloff_minutes": seconds // 60},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
