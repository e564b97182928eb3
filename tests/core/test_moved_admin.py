"""The admin pages of the models that left cadres (issue 20) moved with their app label;
their old addresses redirect permanently to the same page, query string included."""

import pytest
from django.test import Client

from accounts.roles import Role


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/cadres/rankingmonth/", "/admin/rankings/rankingmonth/"),
        (
            "/admin/cadres/rankingentry/?ranking__id__exact=3",
            "/admin/rankings/rankingentry/?ranking__id__exact=3",
        ),
        ("/admin/cadres/bottomwarning/7/change/", "/admin/rankings/bottomwarning/7/change/"),
        ("/admin/cadres/reviewflag/?state=open", "/admin/moderation/reviewflag/?state=open"),
        ("/admin/cadres/appeal/5/decide/", "/admin/moderation/appeal/5/decide/"),
        ("/admin/cadres/holiday/add/", "/admin/moderation/holiday/add/"),
    ],
)
def test_an_old_admin_address_redirects_permanently(client, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_a_form_posted_to_an_old_address_keeps_its_method(client):
    """308: the browser posts the same form again to the new address."""
    response = client.post("/admin/cadres/appeal/5/decide/", {"reason": "x"})
    assert response.status_code == 308
    assert response["Location"] == "/admin/moderation/appeal/5/decide/"


def test_the_moved_and_the_staying_pages_answer_a_district_admin(make_user):
    client = Client()
    client.force_login(make_user(Role.DISTRICT_ADMIN))
    for path in [
        "/admin/cadres/cadre/",
        "/admin/cadres/review/",
        "/admin/rankings/rankingmonth/",
        "/admin/rankings/bottomwarning/",
        "/admin/moderation/reviewflag/",
        "/admin/moderation/appeal/",
        "/admin/moderation/holiday/",
    ]:
        # Followed (a list may add its default filter), but to the same page: one the
        # admin may not see would end on the sign-in page, also a 200.
        response = client.get(path, follow=True)
        assert (response.status_code, response.request["PATH_INFO"]) == (200, path)
    moved = client.get("/admin/cadres/rankingmonth/", follow=True)
    assert moved.redirect_chain == [("/admin/rankings/rankingmonth/", 301)]
    assert moved.status_code == 200
