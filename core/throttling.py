"""Throttles on the atomic limiter (core.ratelimit). Rates in settings.

Each counts one request per window in a single atomic step (Redis when REDIS_URL is
set, this process's memory otherwise). If Redis cannot be reached they let the request
through: a throttle is not worth an outage. The SMS limits are not throttles: they are
in accounts.services.otp_request.
"""

import logging

from rest_framework import throttling

from core import ratelimit
from core.net import client_ip

logger = logging.getLogger(__name__)


class AtomicThrottleMixin:
    """DRF's SimpleRateThrottle with its read-append-write replaced by core.ratelimit."""

    retry_after = None

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            outcome = ratelimit.hit(ratelimit.Limit(key, self.num_requests, self.duration))
        except ratelimit.RateLimitUnavailable:
            logger.warning("Throttle %s skipped: Redis unreachable", self.scope)
            return True
        self.retry_after = outcome.retry_after
        return outcome.allowed

    def wait(self):
        return self.retry_after


class UserRateThrottle(AtomicThrottleMixin, throttling.UserRateThrottle):
    scope = "user"


class AnonRateThrottle(AtomicThrottleMixin, throttling.AnonRateThrottle):
    scope = "anon"


class ScopedThrottle(AtomicThrottleMixin, throttling.ScopedRateThrottle):
    """Per user (or address when anonymous) for the view's `throttle_scope`.

    Views that set `throttle_scope` use it on top of the default throttles, e.g.
    `throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedThrottle]`.
    """

    def allow_request(self, request, view):
        # DRF's ScopedRateThrottle picks its rate here, then calls the counting step.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class UserAndScopeThrottle(ScopedThrottle):
    """The view's `throttle_scope` and the default per-user rate, in one atomic hit.

    DRF runs each throttle class on its own: the user rate and a scope would be two
    Redis round trips a request. core.ratelimit checks several counters in one Lua call:
    both are counted there, or neither when one is full. For the hot writes (the grab,
    the review): `throttle_classes = [UserAndScopeThrottle]` in place of
    `[UserRateThrottle, ScopedThrottle]`.
    """

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        limits = []
        if self.rate is not None:
            limits.append(
                ratelimit.Limit(self.get_cache_key(request, view), self.num_requests, self.duration)
            )
        per_user = UserRateThrottle()
        user_key = per_user.get_cache_key(request, view) if per_user.rate else None
        if user_key is not None:
            limits.append(ratelimit.Limit(user_key, per_user.num_requests, per_user.duration))
        try:
            outcome = ratelimit.hit(*limits)
        except ratelimit.RateLimitUnavailable:
            logger.warning("Throttle %s skipped: Redis unreachable", self.scope)
            return True
        self.retry_after = outcome.retry_after
        return outcome.allowed
