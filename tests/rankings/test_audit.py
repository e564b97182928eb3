"""A month's publication (by an admin) and its correction (by the system) are audit
events, once each; a refused publication, or a correction with nothing new, none."""

import datetime as dt

import pytest
from django.test import Client

from cadres import services
from cadres.models import Exclusion
from core.audit import AuditEvent
from rankings import services as rankings_services
from tests.forms import nonce_of

from .conftest import at

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


def actions():
    return list(AuditEvent.objects.filter(object_type="rankings.rankingmonth").order_by("pk"))


def publish(client, ranking):
    return client.post(
        "/admin/rankings/rankingmonth/",
        {"action": "publish", "_selected_action": [ranking.pk], **nonce_of(client)},
    )


def test_publication_and_correction_are_one_event_each(district_admin, cadre, resident):
    with at(dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)):
        review = services.review_create(cadre=cadre, reviewer=resident, rating=1)
    ranking = rankings_services.rankings_compile(month=MARCH)
    client = Client()
    client.force_login(district_admin)
    publish(client, ranking)
    (published,) = actions()
    assert (published.action, published.actor, published.actor_role) == (
        "ranking.publish",
        district_admin,
        "district_admin",
    )
    assert published.summary["after"]["month"] == "2026-03"
    publish(client, ranking)  # refused: published already
    assert len(actions()) == 1

    services.review_exclude(review_id=review.pk, reason=Exclusion.FRAUD)
    correction = rankings_services.ranking_month_correct(month=MARCH)
    assert correction is not None
    assert rankings_services.ranking_month_correct(month=MARCH) is None
    corrected = actions()[1:]
    assert [(e.action, e.actor, e.actor_role, e.object_id) for e in corrected] == [
        ("ranking.correct", None, "system", str(correction.pk))
    ]
