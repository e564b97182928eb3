"""The service tickets' limit: THROTTLE_TICKET per cadre, whoever issues (the cadre on its
phone, the window's screen, the API or the page share one count), on core.ratelimit."""

from rest_framework.throttling import SimpleRateThrottle

from core import ratelimit


class _Rates(SimpleRateThrottle):
    """DRF's reading of a rate ("30/h"), nothing else: core.ratelimit counts."""

    def __init__(self) -> None:
        # No scope, so no rate of its own to look up.
        pass


def ticket_refused(*, cadre_id: int) -> int | None:
    """Count one ticket for the cadre: None when allowed, else the seconds to wait. Redis
    unreachable: allowed (a throttle is not worth an outage)."""
    # Read at call time: the rate is a setting (tests and deployments change it).
    count, seconds = _Rates().parse_rate(_Rates.THROTTLE_RATES["ticket"])
    if count is None or seconds is None:
        return None  # a rate of None: no limit, as DRF reads it
    try:
        outcome = ratelimit.hit(ratelimit.Limit(f"ticket:{cadre_id}", count, seconds))
    except ratelimit.RateLimitUnavailable:
        return None
    return None if outcome.allowed else outcome.retry_after
