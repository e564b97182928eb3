"""Pages marked public stay public only for anonymous requests (core.middleware)."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def _messages_cookie(text: str) -> str:
    """The cookie Django's message storage sets after a view calls messages.info()."""
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.INFO, text)
    response = HttpResponse()
    storage.update(response)
    return response.cookies[CookieStorage.cookie_name].value


def test_it_keeps_the_leaderboard_public_for_anonymous_requests(client):
    """Anonymous: `public, max-age=300`, as before."""
    response = client.get("/leaderboard/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]


def test_it_makes_the_leaderboard_private_for_a_signed_in_user_with_a_message(client, resident):
    """A signed-in user with a flash message gets the page with their message, and the
    response is private: no shared cache may keep it and show it to someone else."""
    client.force_login(resident)
    client.cookies[CookieStorage.cookie_name] = _messages_cookie("已登录。欢迎回来")
    response = client.get("/leaderboard/")
    assert response.status_code == 200
    assert "已登录。欢迎回来" in response.content.decode()
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "public" not in cache_control
    assert "Cookie" in response["Vary"]
