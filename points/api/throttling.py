"""The grab endpoint's throttle: the user's rate and the claim scope in one step.

DRF runs each throttle class on its own, so the user rate and the claim scope were two
Redis round trips per claim. core.ratelimit checks several counters in one Lua call:
both are counted there, or neither when one is full.
"""

import logging

from core import ratelimit
from core.throttling import ScopedThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class UserAndScopeThrottle(ScopedThrottle):
    """The view's `throttle_scope` and the default per-user rate, in one atomic hit."""

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
