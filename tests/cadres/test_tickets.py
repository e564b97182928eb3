"""Service tickets: proof of presence. A cadre (or its unit's window) issues a one-time
ticket; a review through it is verified and uses it, once. The verified share the
rankings publish: tests/rankings/test_verified_share.py."""

import datetime as dt
import io
import threading

import pytest
import zxingcpp
from django.db import connection
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from cadres import services as cadres_services
from cadres.errors import TicketUsed
from cadres.models import Review, ServiceTicket
from points.models import Account
from tests.conftest import next_phone
from tests.forms import nonce_for

from .conftest import at

pytestmark = pytest.mark.django_db


def decode(png: bytes) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.text


def issue(client, **body):
    return client.post("/api/v1/cadre/tickets", body, format="json")


def review(client, cadre, code, rating=5):
    return client.post(
        f"/api/v1/cadres/{cadre.pk}/reviews", {"code": code, "rating": rating}, format="json"
    )


def test_it_issues_a_ticket_whose_qr_a_real_decoder_reads(client_for, cadre_user, cadre):
    """POST /cadre/tickets: 201 {id, code_url, qr_png_url, expires_at} valid 24 hours; the
    QR PNG decodes to the code URL, short enough for a small code."""
    before = timezone.now()
    response = issue(client_for(cadre_user))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "code_url", "qr_png_url", "expires_at"}
    assert body["code_url"].startswith("http://127.0.0.1:8000/q/k.")
    assert len(body["code_url"]) <= 80
    assert body["expires_at"].endswith("+08:00")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(hours=24) <= expires - before < dt.timedelta(hours=24, minutes=1)
    png = client_for(cadre_user).get(body["qr_png_url"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert decode(png.content) == body["code_url"]
    ticket = ServiceTicket.objects.get(pk=body["id"])
    assert (ticket.cadre, ticket.issued_by, ticket.used_at) == (cadre, cadre_user, None)


def test_the_window_issues_for_a_cadre_of_its_unit_only(
    client_for, unit_admin, cadre, make_cadre, make_unit
):
    """A unit admin (the service window's screen) passes `cadre`: its unit's only."""
    window = client_for(unit_admin)
    assert issue(window, cadre=cadre.pk).status_code == 201
    other = make_cadre(unit=make_unit())
    assert issue(window, cadre=other.pk).status_code == 403
    assert issue(window, cadre=10**9).status_code == 404
    # Without `cadre` a unit admin who is not a cadre has nobody to issue for.
    assert issue(window).status_code == 403
    assert ServiceTicket.objects.count() == 1


def test_residents_and_other_cadres_may_not_issue(resident_api, client_for, make_user, cadre):
    assert issue(resident_api).status_code == 403
    assert issue(resident_api, cadre=cadre.pk).status_code == 403
    carl = make_user(
        Role.CADRE,
        cadre=cadre.__class__.objects.create(
            unit=cadre.unit, name="另一人", employee_number="E-other"
        ).pk,
    )
    assert issue(client_for(carl), cadre=cadre.pk).status_code == 403
    assert ServiceTicket.objects.filter(cadre=cadre).count() == 0


def test_an_anonymous_issue_is_401(api, cadre):
    assert issue(api, cadre=cadre.pk).status_code == 401


def test_the_qr_is_its_issuer_s_and_its_cadre_s_only(
    client_for, unit_admin, cadre_user, cadre, resident_api
):
    body = issue(client_for(unit_admin), cadre=cadre.pk).json()
    path = f"/api/v1/cadre/tickets/{body['id']}/qr.png"
    assert client_for(unit_admin).get(path).status_code == 200
    assert client_for(cadre_user).get(path).status_code == 200
    assert resident_api.get(path).status_code == 404


def test_issuing_is_throttled_per_cadre(client_for, cadre_user, unit_admin, cadre, monkeypatch):
    """THROTTLE_TICKET counts per cadre, whoever issues: the cadre and the window share it."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "ticket": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert issue(client_for(cadre_user)).status_code == 201
    assert issue(client_for(unit_admin), cadre=cadre.pk).status_code == 201
    refused = issue(client_for(cadre_user))
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert "Retry-After" in refused
    assert ServiceTicket.objects.count() == 2


def test_a_review_through_a_ticket_is_verified_and_uses_it(
    client_for, cadre_user, cadre, resident_api, other_resident
):
    """The ticket's URL as `code`: 201, verified; the ticket is used by that review."""
    url = issue(client_for(cadre_user)).json()["code_url"]
    response = review(resident_api, cadre, url)
    assert response.status_code == 201, response.json()
    assert response.json()["verified"] is True
    stored = Review.objects.get(pk=response.json()["id"])
    assert stored.verified is True
    ticket = ServiceTicket.objects.get()
    assert ticket.review == stored and ticket.used_at is not None

    again = review(client_for(other_resident), cadre, url)
    assert again.status_code == 409 and again.json()["code"] == "ticket_used"
    assert Review.objects.count() == 1


def test_a_badge_review_stays_allowed_and_unverified(resident_api, cadre, badge):
    response = review(resident_api, cadre, badge(cadre))
    assert response.status_code == 201
    assert Review.objects.get().verified is False


def test_an_expired_ticket_is_409_and_writes_nothing(client_for, cadre_user, cadre, resident_api):
    url = issue(client_for(cadre_user)).json()["code_url"]
    with at(timezone.now() + dt.timedelta(hours=24, seconds=1)):
        response = review(resident_api, cadre, url)
    assert response.status_code == 409 and response.json()["code"] == "ticket_expired"
    assert Review.objects.count() == 0
    assert ServiceTicket.objects.get().used_at is None


def test_another_cadre_s_ticket_is_refused(client_for, cadre_user, cadre, make_cadre, resident_api):
    url = issue(client_for(cadre_user)).json()["code_url"]
    other = make_cadre(unit=cadre.unit)
    response = review(resident_api, other, url)
    assert response.status_code == 409 and response.json()["code"] == "ticket_other_cadre"
    assert Review.objects.count() == 0
    assert ServiceTicket.objects.get().used_at is None


def test_a_forged_ticket_is_code_invalid(client_for, cadre_user, cadre, resident_api):
    url = issue(client_for(cadre_user)).json()["code_url"]
    forged = url[:-1] + ("A" if url[-1] != "A" else "B")
    response = review(resident_api, cadre, forged)
    assert response.status_code == 404 and response.json()["code"] == "code_invalid"


def test_the_one_a_day_rule_still_applies_and_keeps_the_ticket(
    client_for, cadre_user, cadre, resident_api, badge
):
    """Reviewed through the badge today: the ticket is refused 409 already_reviewed_today
    and stays unused."""
    assert review(resident_api, cadre, badge(cadre)).status_code == 201
    url = issue(client_for(cadre_user)).json()["code_url"]
    response = review(resident_api, cadre, url)
    assert response.status_code == 409 and response.json()["code"] == "already_reviewed_today"
    assert ServiceTicket.objects.get().used_at is None


def test_scan_shows_the_cadre_s_card_and_the_ticket(client_for, cadre_user, cadre, resident_api):
    body = issue(client_for(cadre_user)).json()
    scanned = resident_api.post("/api/v1/scan", {"code": body["code_url"]}, format="json")
    assert scanned.status_code == 200
    assert scanned.json() == {
        "type": "cadre",
        "cadre": {
            "id": cadre.pk,
            "name": "王丽娜",
            "title": "科员",
            "unit": {"id": cadre.unit_id, "name": "康巴什区文化和旅游局"},
            "photo_url": None,
            "ticket": {"expires_at": body["expires_at"]},
        },
    }
    assert review(resident_api, cadre, body["code_url"]).status_code == 201
    used = resident_api.post("/api/v1/scan", {"code": body["code_url"]}, format="json")
    assert used.status_code == 409 and used.json()["code"] == "ticket_used"


def test_the_page_of_a_ticket_reviews_verified(client, client_for, cadre_user, cadre, resident):
    """/q/<ticket>: the cadre's page with the review form carrying the ticket; posting it
    makes a verified review and sends the reviewer back to the badge's page."""
    url = issue(client_for(cadre_user)).json()["code_url"]
    token = url.rsplit("/q/", 1)[1]
    client.force_login(resident)
    page = client.get(f"/q/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="ticket-note"' in html and f'value="{token}"' in html
    posted = client.post(
        f"/cadres/{cadre.pk}/review", {"token": token, "rating": "5", **nonce_for(resident)}
    )
    assert posted.status_code == 302
    assert Review.objects.get().verified is True
    assert client.get(f"/q/{token}").status_code == 409


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_with_one_ticket_at_once_leave_one(cadre, make_user):
    """Two residents post the same ticket at the same moment (real threads, PostgreSQL):
    exactly one verified review; the other is ticket_used and leaves nothing."""
    issuer = make_user(phone=next_phone())
    ticket = cadres_services.ticket_issue(cadre=cadre, issued_by=issuer)
    reviewers = [make_user(phone=next_phone()) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(reviewer):
        try:
            barrier.wait()
            cadres_services.review_create(
                cadre=cadre,
                reviewer=reviewer,
                rating=5,
                ticket=ServiceTicket.objects.get(pk=ticket.pk),
            )
            outcomes.append("created")
        except TicketUsed:
            outcomes.append("ticket_used")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "ticket_used"]
    [only] = Review.objects.all()
    assert only.verified and ServiceTicket.objects.get().review_id == only.pk
    # The refused review's points went with it: 10 points in all, to the one reviewer.
    balances = Account.objects.filter(owner__in=reviewers).values_list("balance", flat=True)
    assert sum(balances) == 10


def test_the_window_page_shows_a_new_ticket_s_qr(client, cadre_user, cadre, resident_api):
    """/cadre/ticket: the signed-in cadre issues a ticket on the window's screen; its QR
    (inline PNG) decodes to a ticket a resident then reviews through."""
    import base64
    import re

    assert "signin" in client.get("/cadre/ticket").content.decode()
    client.force_login(cadre_user)
    page = client.get("/cadre/ticket")
    assert page.status_code == 200 and 'id="ticket-form"' in page.content.decode()
    issued = client.post("/cadre/ticket", {"cadre": str(cadre.pk)})
    assert issued.status_code == 200 and "no-store" in issued["Cache-Control"]
    html = issued.content.decode()
    png = base64.b64decode(re.search(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', html).group(1))
    url = decode(png)
    assert ServiceTicket.objects.get().cadre == cadre
    response = review(resident_api, cadre, url)
    assert response.status_code == 201 and response.json()["verified"] is True


def test_the_window_page_issues_only_for_its_own_cadres(
    client, resident, unit_admin, cadre, make_cadre, make_unit
):
    client.force_login(resident)
    assert 'id="ticket-form"' not in client.get("/cadre/ticket").content.decode()
    assert client.post("/cadre/ticket", {"cadre": str(cadre.pk)}).status_code == 302
    client.force_login(unit_admin)
    foreign = make_cadre(unit=make_unit(), name="外单位干部")
    html = client.get("/cadre/ticket").content.decode()
    assert "王丽娜" in html and "外单位干部" not in html
    assert client.post("/cadre/ticket", {"cadre": str(foreign.pk)}).status_code == 302
    assert ServiceTicket.objects.count() == 0
    assert client.post("/cadre/ticket", {"cadre": str(cadre.pk)}).status_code == 200
    assert ServiceTicket.objects.get().issued_by == unit_admin


def test_only_the_district_sees_the_tickets_in_the_admin(
    client, unit_admin, district_admin, cadre, make_user
):
    """A unit seeing when its tickets were used could match them to its reviews, and so
    to the people it served: the ticket list is the district's."""
    cadres_services.ticket_issue(cadre=cadre, issued_by=make_user(phone=next_phone()))
    client.force_login(unit_admin)
    assert client.get("/admin/cadres/serviceticket/").status_code == 403
    client.force_login(district_admin)
    assert "王丽娜" in client.get("/admin/cadres/serviceticket/").content.decode()
