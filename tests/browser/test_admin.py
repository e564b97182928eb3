"""The Django admin in a real browser: Chinese by default, and a superuser signs in."""

import pytest

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_login_page_is_in_chinese_and_a_superuser_signs_in(browser_page, live_server):
    User.objects.create_superuser("+8613800000001", "a-long-admin-password", display_name="管理员")
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.content()
    assert "手机号码" in page.locator("label[for=id_username]").inner_text()

    page.fill("#id_username", "13800000001")
    page.fill("#id_password", "a-long-admin-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "站点管理" in page.content()
    assert "账户" in page.content()


def test_a_wrong_password_is_refused_in_chinese(browser_page, live_server):
    User.objects.create_superuser("+8613800000001", "a-long-admin-password")
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "+8613800000001")
    page.fill("#id_password", "wrong-password")
    page.click("input[type=submit]")
    assert "请输入一个正确的" in page.locator(".errornote").inner_text()
