"""Throttles, all on Django's cache (Redis when REDIS_URL is set). Rates in settings."""

from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    scope = "user"


class AnonRateThrottle(throttling.AnonRateThrottle):
    scope = "anon"


class ScopedThrottle(throttling.ScopedRateThrottle):
    """Per user (or address when anonymous) for the view's `throttle_scope`.

    Views that set `throttle_scope` use it on top of the default throttles, e.g.
    `throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedThrottle]`.
    """


class OtpAddressThrottle(throttling.SimpleRateThrottle):
    """Codes requested from one address, whatever the phone: stops SMS pumping."""

    scope = "otp_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
