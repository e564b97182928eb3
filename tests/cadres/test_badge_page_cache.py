"""The signed-out badge page as stored bytes (cadres.page_cache): served without SQL,
and rebuilt after every change it shows (a review, the cadre or its unit, a rotation,
a publication), never for a signed-in visitor. Real commits (on_commit bumps), and the
test's own Redis db when REDIS_URL is set."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadres import services
from cadres.codes import badge_token
from core import display
from rankings.cache import RANKINGS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def scan(client, cadre, token=None):
    """(status, body, SQL statements) of a signed-out scan."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/q/{token or badge_token(cadre)}")
    return response.status_code, response.content.decode(), len(queries.captured_queries)


def without_csrf(body: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def month_reviews(body: str) -> str:
    return body.split('id="month-reviews">')[1].split("<")[0]


def test_the_second_scan_is_served_without_sql_and_a_review_rebuilds_it(client, cadre, resident):
    status, first, statements = scan(client, cadre)
    assert status == 200 and statements > 0 and "王丽娜" in first
    # The first miss only sets the versions; the next one stores; then hits.
    scan(client, cadre)
    status, stored, statements = scan(client, cadre)
    assert (status, without_csrf(stored), statements) == (200, without_csrf(first), 0)
    assert month_reviews(stored) == "0"
    # The sign-in form carries this visitor's own CSRF token, which the cookie matches.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', stored).group(1)
    assert "__badge_page_csrf_token__" not in stored
    assert len(token) == 64 and client.cookies["csrftoken"].value
    services.review_create(cadre=cadre, reviewer=resident, rating=5)
    status, rebuilt, statements = scan(client, cadre)
    assert status == 200 and statements > 0 and month_reviews(rebuilt) == "1"
    hit = scan(client, cadre)
    assert (without_csrf(hit[1]), hit[2]) == (without_csrf(rebuilt), 0)


def test_a_change_of_the_cadre_or_a_publication_rebuilds_every_page(client, cadre):
    scan(client, cadre)
    scan(client, cadre)
    assert scan(client, cadre)[2] == 0
    cadre.name = "李明"
    cadre.save()
    status, body, statements = scan(client, cadre)
    assert status == 200 and statements > 0 and "李明" in body and "王丽娜" not in body
    assert scan(client, cadre)[2] == 0
    RANKINGS.bump()
    assert scan(client, cadre)[2] > 0
    assert scan(client, cadre)[2] == 0


def test_a_rotated_badge_stops_being_served(client, cadre, make_user):
    old = badge_token(cadre)
    scan(client, cadre, old)
    scan(client, cadre, old)
    assert scan(client, cadre, old)[2] == 0
    services.cadre_code_rotate(cadre=cadre, actor=make_user())
    status, body, _statements = scan(client, cadre, old)
    assert status != 200 and "王丽娜" not in body
    cadre.refresh_from_db()
    assert scan(client, cadre, badge_token(cadre))[0] == 200


def test_a_signed_in_visitor_never_gets_the_stored_page(client, cadre, resident):
    scan(client, cadre)
    scan(client, cadre)
    client.force_login(resident)
    response = client.get(f"/q/{badge_token(cadre)}")
    assert response.status_code == 200
    assert 'id="review-form"' in response.content.decode()
    client.logout()
    client.cookies.clear()
    assert 'id="review-form"' not in scan(client, cadre)[1]


def test_each_display_mode_has_its_own_stored_page(client, cadre):
    """长辈模式 (core/display.py) draws another page: a stored standard page is never
    served in elder mode, nor the other way round."""
    for _ in range(3):
        status, standard, _statements = scan(client, cadre)
    assert status == 200 and 'class="elder"' not in standard
    client.cookies[display.COOKIE] = "1"
    status, elder, statements = scan(client, cadre)
    assert status == 200 and statements > 0 and 'class="elder"' in elder
    scan(client, cadre)
    status, stored, statements = scan(client, cadre)
    assert (status, without_csrf(stored), statements) == (200, without_csrf(elder), 0)
    del client.cookies[display.COOKIE]
    status, body, statements = scan(client, cadre)
    assert (status, without_csrf(body), statements) == (200, without_csrf(standard), 0)
