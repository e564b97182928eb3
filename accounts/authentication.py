"""JWT authentication that refuses, rather than fails on, a token naming no valid user id,
and refuses the access tokens of a signed-out session."""

from typing import TypeGuard

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.drainage import set_override
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from core.headers import IDEMPOTENCY_KEY

from .models import User
from .selectors import SESSION_CLAIM, session_signed_out

# The largest id a bigint column holds: a larger number names nobody.
MAX_USER_ID = 2**63 - 1


def valid_user_id(value: object) -> TypeGuard[int | str]:
    """True for an id the users table could hold: a positive int or a string of ASCII digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return isinstance(value, int) and 0 < value <= MAX_USER_ID


# Access tokens whose signature and claims this process verified, by their bytes: a phone
# sends the same token with every request until it expires, and verifying it again costs
# a till payment more than its posting does. The expiry is checked again at every use.
VERIFIED_MAX = 10_000
_verified: dict[bytes, Token] = {}


def verified_token(raw_token: bytes, verify) -> Token:
    """`verify(raw_token)` (simplejwt's checks: 401 `token_invalid` when they fail), or
    the token it returned earlier for the same bytes while that has not expired."""
    token = _verified.get(raw_token)
    if token is not None:
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            _verified.pop(raw_token, None)
        else:
            return token
    token = verify(raw_token)
    if len(_verified) >= VERIFIED_MAX:
        _verified.clear()
    _verified[raw_token] = token
    return token


class SignedOutRefusal:
    """Refuses (401 `token_invalid`) an access token whose session was signed out: one
    Redis EXISTS per request (accounts.selectors.session_signed_out)."""

    def get_validated_token(self, raw_token):
        token = verified_token(raw_token, super().get_validated_token)
        sid = token.get(SESSION_CLAIM)
        if sid is not None and (not isinstance(sid, str) or session_signed_out(sid=sid)):
            raise InvalidToken()
        return token


class JWTAuthentication(SignedOutRefusal, BaseJWTAuthentication):
    def get_user(self, validated_token):
        # A signed token with "user_id": "abc" would make the lookup raise (500).
        if not valid_user_id(validated_token.get(api_settings.USER_ID_CLAIM)):
            raise InvalidToken()
        return super().get_user(validated_token)


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of this class: simplejwt's bearer scheme."""

    target_class = "accounts.authentication.JWTAuthentication"


class StatelessJWTAuthentication(SignedOutRefusal, JWTStatelessUserAuthentication):
    """The signed token alone, no database read, for the hot writes: the grab's claim
    and the review at the badge.

    When a campaign opens, most answers are `sold_out` from the Redis gate, and a review
    is one INSERT that can check its reviewer itself: loading the user row first would
    cost each of them a round trip. The token's signature and expiry prove who is
    asking, and one Redis EXISTS that its session was not signed out; the service checks
    that the user exists and is active in its own statement (InactiveUser, 401
    `token_invalid`, otherwise). `request.user` is simplejwt's
    TokenUser: only its `pk` may be used. With an Idempotency-Key the user is loaded as
    usual: the stored answer belongs to a user row.
    """

    # Whether a request with an Idempotency-Key is authenticated by the token alone too.
    stateless_with_key = False

    def authenticate(self, request):
        if not self.stateless_with_key and request.headers.get(IDEMPOTENCY_KEY) is not None:
            return JWTAuthentication().authenticate(request)
        found = super().authenticate(request)
        if found is not None and not valid_user_id(found[1].get(api_settings.USER_ID_CLAIM)):
            raise InvalidToken()
        return found


class KeyedStatelessJWTAuthentication(StatelessJWTAuthentication):
    """The token alone even with an Idempotency-Key: the payment at a counter claims its
    key in its own statement, which checks that the user exists and is active
    (merchants.services.payment_at_counter). The view's other paths load the user with
    `user_loaded` before they use it."""

    stateless_with_key = True


# The same scheme as its parent (one Bearer token, one component `jwtAuthStateless`):
# not a collision of two components under one name.
set_override(KeyedStatelessJWTAuthentication, "suppress_collision_warning", True)


def user_loaded(request):
    """The request's user row, loaded once when a stateless authentication left only the
    token's user (401 as JWTAuthentication when the user is gone or inactive)."""
    if not isinstance(request.user, User):
        request.user = JWTAuthentication().get_user(request.auth)
    return request.user


class StatelessJWTAuthenticationScheme(SimpleJWTScheme):
    """The same Bearer access token as everywhere else, under its own scheme name."""

    target_class = "accounts.authentication.StatelessJWTAuthentication"
    match_subclasses = True
    name = "jwtAuthStateless"
