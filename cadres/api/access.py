"""Who may act on a review or speak as a cadre: the lookups the review views of cadres and
moderation share (404 for no such row, 403 for no right), so each view says only its rule."""

from collections.abc import Callable

from core.errors import Forbidden, or_404

from .. import selectors
from ..models import Cadre, Review


def review_for(*, pk: int, user, allowed: Callable[..., bool], refusal=None) -> Review:
    """The review `pk` if `allowed(user=, review=)`; 404 when there is none, 403 (with
    `refusal` as the detail, if given) when the user may not act on it."""
    review = or_404(selectors.review_get(pk=pk))
    if not allowed(user=user, review=review):
        raise Forbidden(refusal)
    return review


def own_cadre(*, user) -> Cadre:
    """The cadre the user is; 403 when the user is linked to none."""
    cadre = selectors.cadre_of_user(user=user)
    if cadre is None:
        raise Forbidden()
    return cadre
