"""JWT authentication that refuses, rather than fails on, a token naming no valid user id."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

# The largest id a bigint column holds: a larger number names nobody.
MAX_USER_ID = 2**63 - 1


def valid_user_id(value) -> bool:
    """True for an id the users table could hold: a positive int or a string of ASCII digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return isinstance(value, int) and 0 < value <= MAX_USER_ID


class JWTAuthentication(BaseJWTAuthentication):
    def get_user(self, validated_token):
        # A signed token with "user_id": "abc" would make the lookup raise (500).
        if not valid_user_id(validated_token.get(api_settings.USER_ID_CLAIM)):
            raise InvalidToken()
        return super().get_user(validated_token)


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of this class: simplejwt's bearer scheme."""

    target_class = "accounts.authentication.JWTAuthentication"
