"""The service tickets' limit: THROTTLE_TICKET per cadre, whoever issues (the cadre on its
phone, the window's screen, the API or the page share one count), on core.ratelimit."""

from rest_framework.throttling import SimpleRateThrottle

from core import ratelimit


def ticket_refused(*, cadre_id: int) -> int | None:
    """Count one ticket for the cadre: None when allowed, else the seconds to wait. Redis
    unreachable: allowed (a throttle is not worth an outage)."""
    # Read at call time: the rate is a setting (tests and deployments change it).
    count, seconds = SimpleRateThrottle.parse_rate(
        None, SimpleRateThrottle.THROTTLE_RATES["ticket"]
    )
    try:
        outcome = ratelimit.hit(ratelimit.Limit(f"ticket:{cadre_id}", count, seconds))
    except ratelimit.RateLimitUnavailable:
        return None
    return None if outcome.allowed else outcome.retry_after
