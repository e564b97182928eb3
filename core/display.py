"""长辈模式 (elder mode): larger type, larger touch targets and 7:1 text contrast, chosen
with the switch in every page's header (a plain link: no script needed) and remembered in
a cookie. The page templates read it through core.context_processors.display; a page
stored once rendered names the mode in its key (rankings.pages.leaderboard_key)."""

COOKIE = "elder"
# Remembered for a year: the choice of a person, not of a visit.
COOKIE_SECONDS = 365 * 24 * 3600


def elder_mode(request) -> bool:
    """Whether the request's pages are drawn in elder mode."""
    return request.COOKIES.get(COOKIE) == "1"
