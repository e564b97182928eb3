"""Page and admin forms that act once per nonce (core/form_nonces.py): a nonce for a
test's POST, and a double tap of one form by real threads."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test import Client

from core.form_nonces import FIELD, form_nonce

TAPS = 8


def nonce_for(user) -> dict:
    """The hidden field of one form shown to `user`, to merge into a POST's data."""
    return {FIELD: form_nonce(user)}


def nonce_of(client) -> dict:
    """`nonce_for` the user signed in on the test `client`."""
    user_id = client.session[SESSION_KEY]
    return nonce_for(get_user_model().objects.get(pk=user_id))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def tapped_at_once(user, path: str, data: dict, *, taps: int = TAPS) -> list:
    """`taps` submits of one form (one session, one nonce) by real threads released
    together, each following its redirect as the browser would; the final responses."""
    session = signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    payload = {**data, **nonce_for(user)}
    barrier = threading.Barrier(taps)

    def tap(_index):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        barrier.wait(timeout=30)
        try:
            return client.post(path, payload, follow=True)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=taps) as pool:
        return list(pool.map(tap, range(taps)))


def texts(responses) -> list[str]:
    return [response.content.decode() for response in responses]
