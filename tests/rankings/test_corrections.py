"""Corrections of a published month: an appeal upheld (or any exclusion) after the 4th
publishes a new version of the month, chained by SHA-256 to the version it replaces;
the API, the page, the open data and the verifier show and check every version."""

import datetime as dt
import io
import os
import time

import pytest
from django.db import transaction

from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review, Unit
from config.celery import app
from core.timezones import LOCAL_TZ
from moderation import services as moderation_services
from rankings import selectors, tasks, verify_chain
from rankings import services as rankings_services
from rankings.models import RankingMonth
from tests.workers import start_worker, stop_worker

from .conftest import APRIL, MARCH, at, publish_month

# 5 April 2026 in Kangbashi: March is published, within 7 days of late-March reviews.
AFTER_PUBLICATION = dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)
REASON = "评价人当天并未来窗口办理业务，与事实不符。"


def _month_of_reviews(make_user, make_cadre, month=MARCH, bad=2):
    """A unit of two cadres, each with 5 good reviews and `bad` bad ones on the 30th."""
    unit = Unit.objects.create(name=f"康巴什区政务服务局{month:%m}")
    cadres = [make_cadre(unit=unit, name=f"干部{n}") for n in range(2)]
    bad_reviews = []
    for cadre in cadres:
        for day in range(1, 6):
            with at(dt.datetime(month.year, month.month, day, 10, 0, tzinfo=LOCAL_TZ)):
                services.review_create(cadre=cadre, reviewer=make_user(), rating=5)
        for _ in range(bad):
            moment = dt.datetime(month.year, month.month, 30, 10, 0, tzinfo=LOCAL_TZ)
            with at(moment):
                bad_reviews.append(
                    services.review_create(cadre=cadre, reviewer=make_user(), rating=1)
                )
    return cadres, bad_reviews


def _uphold(review, make_user):
    """The cadre appeals on 5 April and an appeal reviewer upholds it at once."""
    cadre_user = make_user(Role.CADRE, cadre=review.cadre_id)
    with at(AFTER_PUBLICATION):
        pending = moderation_services.appeal_create(
            review=review, appellant=cadre_user, reason=REASON
        )
        return moderation_services.appeal_decide(
            appeal=pending, decider=make_user(Role.APPEAL_REVIEWER), upheld=True, reason="核实"
        )


def _digest_of_open_file(client, month: str, version: int) -> tuple[str, str, str]:
    """(computed, stated, previous) for an open-data file, recomputed as a reader would."""
    document = client.get(f"/open/rankings/{month}/v{version}.json").json()
    rows = verify_chain.rows_from_json(document["entries"])
    computed = verify_chain.digest(previous=document["previous_digest"], month=month, rows=rows)
    return computed, document["digest"], document["previous_digest"]


@pytest.fixture
def eager_tasks():
    """Tasks run in this process when sent (as without REDIS_URL), on either database."""
    # Configured from Django's settings (namespace CELERY): the key carries the prefix.
    eager = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = eager


@pytest.mark.django_db
def test_the_correction_chain_from_the_public_api(
    api, client, make_user, make_cadre, django_capture_on_commit_callbacks, eager_tasks
):
    """Publish March; uphold an appeal on 5 April; the correction (version 2) is
    published; the API shows both versions, each digest recomputes from the published
    entries, and version 2 follows version 1."""
    cadres, bad = _month_of_reviews(make_user, make_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        first = publish_month()
    before = api.get("/api/v1/rankings/2026-03?scope=cadre")
    assert before.json()["version"] == 1 and len(before.json()["versions"]) == 1
    etag = before["ETag"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _uphold(bad[0], make_user)
    assert callbacks, "the exclusion scheduled no correction"
    second = selectors.published_month(month=MARCH)
    assert (second.version, second.excluded_reviews) == (2, 1)
    assert second.previous_digest == first.digest != second.digest

    body = api.get("/api/v1/rankings/2026-03?scope=cadre")
    assert body["ETag"] != etag
    data = body.json()
    assert (data["version"], data["excluded_reviews"]) == (2, 1)
    assert data["corrected_at"].endswith("+08:00")
    assert [(v["version"], v["excluded_reviews"]) for v in data["versions"]] == [(1, 0), (2, 1)]
    v1, v2 = data["versions"]
    assert v2["previous_digest"] == v1["digest"] == first.digest
    assert data["digest"] == v2["digest"]
    # The appealed cadre has one review less in version 2, the same in version 1.
    counts = {e["cadre_id"]: e["reviews"] for e in data["entries"]}
    assert counts[cadres[0].pk] == 6 and counts[cadres[1].pk] == 7
    old = api.get("/api/v1/rankings/2026-03?scope=cadre&version=1").json()
    assert old["version"] == 1 and old["digest"] == first.digest
    assert {e["cadre_id"]: e["reviews"] for e in old["entries"]}[cadres[0].pk] == 7
    assert api.get("/api/v1/rankings/2026-03?version=3").status_code == 404
    assert api.get("/api/v1/rankings/2026-03?version=0").status_code == 400

    # Both digests recompute from the public files, chained.
    for version, stated in ((1, v1["digest"]), (2, v2["digest"])):
        computed, in_file, previous = _digest_of_open_file(client, "2026-03", version)
        assert computed == in_file == stated
    assert _digest_of_open_file(client, "2026-03", 2)[2] == v1["digest"]
    assert selectors.ranking_month_verify(ranking=first)
    assert selectors.ranking_month_verify(ranking=second)
    # The Atom feed has an entry for the correction, pointing at its file.
    feed = client.get("/open/feed.atom").content.decode()
    assert "rankings/2026-03/v2.json" in feed and "rankings/2026-03/v1.json" in feed
    # The list of months shows March once, as its latest version.
    months = api.get("/api/v1/rankings").json()["results"]
    assert [(m["month"], m["version"]) for m in months] == [("2026-03", 2)]


@pytest.mark.django_db
def test_a_tampered_correction_does_not_verify(make_user, make_cadre):
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    first = publish_month()
    _uphold(bad[0], make_user)
    second = rankings_services.ranking_month_correct(month=MARCH)
    assert selectors.ranking_month_verify(ranking=second)
    RankingMonth.objects.filter(pk=second.pk).update(previous_digest="0" * 64)
    second.refresh_from_db()
    assert not selectors.ranking_month_verify(ranking=second)
    second.previous_digest = first.digest
    second.entries.filter(scope="unit").update(reviews=99)
    assert not selectors.ranking_month_verify(ranking=second)


@pytest.mark.django_db
def test_corrections_are_idempotent_and_coalesce(make_user, make_cadre):
    """Three exclusions, one run: one version with 3 excluded; running again adds none."""
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    publish_month()
    for review in bad[:3]:
        services.review_exclude(review_id=review.pk, reason=Exclusion.FRAUD)
    assert tasks.publish_correction("2026-03") == 2
    assert tasks.publish_correction("2026-03") is None
    assert rankings_services.ranking_month_correct(month=MARCH) is None
    versions = selectors.month_versions(month=MARCH)
    assert [(v.version, v.excluded_reviews, v.excluded_total) for v in versions] == [
        (1, 0, 0),
        (2, 3, 3),
    ]
    services.review_exclude(review_id=bad[3].pk, reason=Exclusion.APPEAL)
    assert tasks.publish_correction("2026-03") == 3
    latest = selectors.published_month(month=MARCH)
    assert (latest.version, latest.excluded_reviews, latest.previous_digest) == (
        3,
        1,
        versions[1].digest,
    )


@pytest.mark.django_db
def test_an_unpublished_or_current_month_gets_no_correction(
    make_user, make_cadre, django_capture_on_commit_callbacks
):
    """Excluding a review of a month still running schedules nothing; a correction of an
    unpublished month publishes nothing (the 4th's compile counts the exclusion)."""
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    with (
        at(dt.datetime(2026, 3, 31, 10, 0, tzinfo=LOCAL_TZ)),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        services.review_exclude(review_id=bad[0].pk, reason=Exclusion.FRAUD)
    assert callbacks == []
    assert rankings_services.ranking_month_correct(month=MARCH) is None
    assert tasks.publish_correction("2026-03") is None
    assert not RankingMonth.objects.exists()
    first = publish_month()
    assert first.excluded_total == 1


@pytest.mark.django_db
def test_a_second_exclusion_of_the_same_review_schedules_nothing(
    make_user, make_cadre, django_capture_on_commit_callbacks
):
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    publish_month()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.review_exclude(review_id=bad[0].pk, reason=Exclusion.FRAUD)
        assert not services.review_exclude(review_id=bad[0].pk, reason=Exclusion.APPEAL)
    assert len(callbacks) == 1
    assert Review.objects.get(pk=bad[0].pk).excluded_reason == Exclusion.FRAUD


@pytest.mark.django_db
def test_the_page_shows_the_correction_and_links_every_version(
    client, make_user, make_cadre, django_capture_on_commit_callbacks
):
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        first = publish_month()
    assert 'id="correction"' not in client.get("/leaderboard/2026-03/").content.decode()
    with at(AFTER_PUBLICATION), django_capture_on_commit_callbacks(execute=True):
        for review in bad[:2]:
            services.review_exclude(review_id=review.pk, reason=Exclusion.APPEAL)
        second = rankings_services.ranking_month_correct(month=MARCH)
    html = client.get("/leaderboard/2026-03/").content.decode()
    assert 'id="correction"' in html
    assert "已于 2026-04-05 更正（第 2 版）" in html  # "Corrected on ... (version 2)"
    assert "排除了 2 条评价" in html  # "2 reviews were excluded"
    assert "第 1 版，2026-04-04" in html
    assert "/open/rankings/2026-03/v1.json" in html and "/open/rankings/2026-03/v2.csv" in html
    assert first.digest in html and second.digest in html
    assert client.get("/leaderboard/").content.decode().count('id="correction"') == 1


@pytest.mark.django_db
def test_the_next_month_follows_the_latest_version_published_before_it(make_user, make_cadre):
    """Corrected before April is published: April follows March v2. Corrected after:
    March v3 follows v2, and April still follows v2 (a version of the month before)."""
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    _month_of_reviews(make_user, make_cadre, month=APRIL)
    publish_month()
    services.review_exclude(review_id=bad[0].pk, reason=Exclusion.APPEAL)
    v2 = rankings_services.ranking_month_correct(month=MARCH)
    april = publish_month(APRIL)
    assert april.previous_digest == v2.digest
    services.review_exclude(review_id=bad[1].pk, reason=Exclusion.APPEAL)
    v3 = rankings_services.ranking_month_correct(month=MARCH)
    assert v3.previous_digest == v2.digest
    for ranking in RankingMonth.objects.all():
        assert selectors.ranking_month_verify(ranking=ranking), ranking


@pytest.fixture
def corrected_live(transactional_db, make_user, make_cadre, live_server):
    """March published, corrected twice (once before April's publication, once after)."""
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    _month_of_reviews(make_user, make_cadre, month=APRIL)
    publish_month()
    _uphold(bad[0], make_user)
    rankings_services.ranking_month_correct(month=MARCH)
    publish_month(APRIL)
    services.review_exclude(review_id=bad[1].pk, reason=Exclusion.FRAUD)
    rankings_services.ranking_month_correct(month=MARCH)
    return live_server.url


def test_the_verifier_checks_every_version_of_the_running_server(corrected_live):
    out = io.StringIO()
    assert verify_chain.verify(corrected_live, out=out) == []
    assert "OK 4 publications, chain intact" in out.getvalue()


def test_the_verifier_reports_a_correction_not_chained_to_the_version_it_replaces(
    corrected_live,
):
    """March v3 rewired to follow v1 (and resealed): the verifier says it breaks the chain."""
    v1, v3 = (RankingMonth.objects.get(month=MARCH, version=n) for n in (1, 3))
    digest = selectors.ranking_digest(ranking=v3, previous_digest=v1.digest)
    RankingMonth.objects.filter(pk=v3.pk).update(previous_digest=v1.digest, digest=digest)
    from rankings.cache import RANKINGS

    RANKINGS.bump()
    failures = verify_chain.verify(corrected_live)
    assert failures == [
        f"2026-03 v3: previous digest {v1.digest} does not follow 2026-03 v2",
    ]


@pytest.fixture
def correction_queue(settings):
    """The correction task routed to a queue of this test's own, due 1 second after."""
    queue = f"cadres-correction-{os.getpid()}"
    routes = app.conf.task_routes

    def route(table):
        # Celery keeps the router it built: rebuilt as a conf update of task_routes does.
        app.conf.CELERY_TASK_ROUTES = table
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()

    route({"cadres.tasks.publish_correction": {"queue": queue}})
    settings.RANKINGS_CORRECTION_DELAY = 1
    yield queue
    route(routes)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_publishes_the_correction_once_for_several_exclusions(
    make_user, make_cadre, correction_queue
):
    """Through Redis to a worker process: two exclusions committed, each scheduling the
    task after commit; the worker publishes one version 2 holding both, the other run
    (and one more sent by hand) adds none."""
    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    publish_month()
    worker = start_worker(correction_queue)
    try:
        with transaction.atomic():
            services.review_exclude(review_id=bad[0].pk, reason=Exclusion.FRAUD)
            services.review_exclude(review_id=bad[1].pk, reason=Exclusion.FRAUD)
        for _ in range(600):
            if selectors.published_month(month=MARCH).version > 1:
                break
            time.sleep(0.1)
        again = app.send_task(
            "cadres.tasks.publish_correction", args=["2026-03"], queue=correction_queue
        ).get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert again is None, output
    assert output.count("publish_correction") >= 3, output
    versions = selectors.month_versions(month=MARCH)
    assert [(v.version, v.excluded_reviews) for v in versions] == [(1, 0), (2, 2)]
    assert selectors.ranking_month_verify(ranking=versions[1])


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_correction_commits_synchronously(make_user, make_cadre):
    """The compile turns synchronous_commit off for itself; a correction publishes in the
    same transaction, whose commit must reach the disk before the task is acknowledged."""
    from django.db import connection

    _cadres, bad = _month_of_reviews(make_user, make_cadre)
    publish_month()
    services.review_exclude(review_id=bad[0].pk, reason=Exclusion.FRAUD)
    assert rankings_services.ranking_month_correct(month=MARCH).version == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
