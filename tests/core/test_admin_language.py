"""The admin in Chinese has no English section: django-axes' and simplejwt's token
blacklist's models read in Chinese (core's catalogue, core/axes_app.py)."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_admin_index_names_every_section_in_chinese():
    superuser = User.objects.create_superuser("+8613847709999", "a-long-admin-password")
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    for chinese in (
        "登录保护",
        "登录尝试",
        "访问日志",
        "登录失败记录",
        "令牌黑名单",
        "黑名单令牌",
        "已签发令牌",
    ):
        assert chinese in html, chinese
    for english in (
        "Axes",
        "Access attempts",
        "Access logs",
        "Access failures",
        "Token Blacklist",
        "Blacklisted tokens",
        "Outstanding tokens",
    ):
        assert english not in html, english
    listing = client.get("/admin/axes/accessattempt/").content.decode()
    for english in ("User Agent", "IP Address", "Attempt Time", "Failed Logins"):
        assert english not in listing, english
