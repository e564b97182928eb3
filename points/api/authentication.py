"""The grab endpoint's authentication: the signed token alone, no database read.

When a campaign opens, most answers are `sold_out` from the Redis gate. Loading the
user row for each of them would send every request of the storm to PostgreSQL; the
token's signature and expiry already prove who is asking. The claim service loads the
user (and checks it is active) only once the gate admits them. With an
Idempotency-Key the user is loaded as usual: the stored answer belongs to a user row.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)

from core.idempotency import HEADER


class ClaimAuthentication(JWTStatelessUserAuthentication):
    def authenticate(self, request):
        if request.headers.get(HEADER) is not None:
            return JWTAuthentication().authenticate(request)
        return super().authenticate(request)


class ClaimAuthenticationScheme(SimpleJWTScheme):
    """The same Bearer access token as everywhere else, under its own scheme name."""

    target_class = "points.api.authentication.ClaimAuthentication"
    name = "jwtAuthClaim"
