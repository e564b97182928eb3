"""What the apps above cadres add to a review's life and to a cadre's badge page. They
register here from their AppConfig.ready(); cadres imports none of them.

- `review_excluded` (a Django signal): services.review_exclude sends it inside the
  caller's transaction once a review stops counting (`review_id`, `local_date`); the
  rankings connect it to correct a month that has ended.
- Submission checks: scalar subqueries a new review's INSERT returns with its id (one
  statement, the review's snapshot), and what to do with their values inside the review's
  transaction; moderation's fraud rules are one (moderation/fraud.py).
- Badge page parts: HTML a cadre's badge page shows under the card (the rankings: the
  cadre's history and chart).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal
from django.utils.safestring import SafeString, mark_safe

review_excluded = Signal()


@dataclass(frozen=True)
class SubmissionCheck:
    """`sql`: `columns` comma-separated scalar subqueries over the reviews before the new
    one, a constant of the registering module (docs/conventions.md, "Raw SQL");
    `params(review)`: their parameters; `act(review, values)`: inside the review's
    transaction, with the tuple of the `columns` values."""

    columns: int
    sql: str
    params: Callable[[object], list]
    act: Callable[[object, tuple], None]


SUBMISSION_CHECKS: list[SubmissionCheck] = []
BADGE_PAGE_PARTS: list[Callable] = []
# Cache keys of version numbers the badge page parts depend on (cadres.page_cache): a
# stored signed-out badge page is served only while each is what it was built under.
BADGE_PAGE_VERSION_KEYS: list[str] = []


def register_submission_check(check: SubmissionCheck) -> None:
    if check not in SUBMISSION_CHECKS:
        SUBMISSION_CHECKS.append(check)


def register_badge_page_part(part: Callable) -> None:
    """`part(request, cadre)` returns the HTML it adds to the badge page ("" for none)."""
    if part not in BADGE_PAGE_PARTS:
        BADGE_PAGE_PARTS.append(part)


def register_badge_page_version_key(key: str) -> None:
    if key not in BADGE_PAGE_VERSION_KEYS:
        BADGE_PAGE_VERSION_KEYS.append(key)


def submission_params(review) -> list:
    return [param for check in SUBMISSION_CHECKS for param in check.params(review)]


def submission_act(review, values: tuple) -> None:
    """Hand each check its own values, in the order of SUBMISSION_CHECKS."""
    start = 0
    for check in SUBMISSION_CHECKS:
        check.act(review, tuple(values[start : start + check.columns]))
        start += check.columns


def badge_page_parts(request, cadre) -> SafeString:
    return mark_safe("".join(str(part(request, cadre)) for part in BADGE_PAGE_PARTS))  # noqa: S308
