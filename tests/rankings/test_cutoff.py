"""A month is computed from its cutoff (issue 21, item 1): version 1 is published at
01:00 on the 4th, once every bad review's 72-hour answer window has closed; its moment
of publication is the cutoff, and every version counts the reviews, answers and
verdicts given by it. Compiled again later, version 1 gives its published entries byte
for byte; a correction is that snapshot less the exclusions known when it is made."""

import dataclasses
import datetime as dt
import importlib
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review, Unit
from core.timezones import LOCAL_TZ
from moderation import services as moderation_services
from moderation.models import ReviewFlag
from rankings import cutoff, recompile, selectors, tasks
from rankings import services as rankings_services
from rankings.errors import AnswerWindowOpen, LaterMonthPublished
from rankings.models import RankingEntry, RankingMonth
from tests.workers import start_worker, stop_worker

from .conftest import at
from .test_corrections import correction_queue  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
PUBLICATION = dt.datetime(2026, 4, 4, 1, 0, tzinfo=LOCAL_TZ)
AFTER = dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)
CORRECTION = dt.datetime(2026, 4, 6, 10, 0, tzinfo=LOCAL_TZ)

FIGURES = (
    "position",
    "rank",
    "reviews",
    "satisfied",
    "bad",
    "bad_answered",
    "verdicts",
    "rejected",
    "satisfaction_rate",
    "response_rate",
    "rejection_rate",
    "score",
    "bottom",
    "unit_rank",
    "unit_bottom",
    "excluded_colleague",
    "excluded_appeal",
    "excluded_fraud",
)


def figures(ranking: RankingMonth) -> dict[tuple, tuple]:
    return {
        (e.scope, e.cadre_id or e.unit_id): tuple(getattr(e, f) for f in FIGURES)
        for e in RankingEntry.objects.filter(ranking=ranking)
    }


def review(cadre, make_user, moment, rating, *, confirmed=True):
    reviewer = make_user()
    if not confirmed:  # an account a service desk made from an ID check alone
        User.objects.filter(pk=reviewer.pk).update(phone_verified_at=None)
    with at(moment):
        return services.review_create(cadre=cadre, reviewer=reviewer, rating=rating)


def march(day, hour=10, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def month(make_user, make_cadre):
    """Two units, three cadres with 5 good and 2 bad reviews each (the last bad one of
    B at 23:59 on the 31st), one answer and one rejection before the cutoff, and two
    reviews held for moderation (unconfirmed phones)."""
    first, second = Unit.objects.create(name="政务服务局"), Unit.objects.create(name="城管局")
    a, b = make_cadre(unit=first, name="甲"), make_cadre(unit=first, name="乙")
    c = make_cadre(unit=second, name="丙")
    bad = {}
    for cadre in (a, b, c):
        for day in range(1, 6):
            review(cadre, make_user, march(day), 5)
        bad[cadre.name] = [review(cadre, make_user, march(30), 1)]
    bad["甲"].append(review(a, make_user, march(31, 8), 2))
    bad["乙"].append(review(b, make_user, march(31, 23, 59), 1))
    bad["丙"].append(review(c, make_user, march(31, 9), 2))
    answered = bad["甲"][0]
    with at(dt.datetime(2026, 4, 2, 9, 0, tzinfo=LOCAL_TZ)):
        services.review_respond(review=answered, responder=make_user(), message="已整改")
    with at(dt.datetime(2026, 4, 3, 9, 0, tzinfo=LOCAL_TZ)):
        services.review_verdict(review=answered, reviewer=answered.reviewer, accepted=False)
    held = {
        "丙": review(c, make_user, march(20), 1, confirmed=False),
        "甲": review(a, make_user, march(21), 5, confirmed=False),
    }
    for held_review in held.values():
        held_review.refresh_from_db()
        assert held_review.excluded_reason == Exclusion.UNCONFIRMED
    return {"cadres": (a, b, c), "bad": bad, "held": held}


def publish() -> RankingMonth:
    with at(PUBLICATION):
        return rankings_services.rankings_compile_and_publish(month=MARCH, publish=True)


def test_the_answer_window_closes_at_midnight_on_the_4th():
    closes = cutoff.answer_window_closes(MARCH)
    assert closes == dt.datetime(2026, 4, 4, 0, 0, tzinfo=LOCAL_TZ)
    # A bad review of 23:59:59 on the 31st has its 72 hours by then.
    assert closes >= march(31, 23, 59) + dt.timedelta(minutes=1) + services.OVERDUE_AFTER
    assert not cutoff.answer_window_closed(MARCH, now=closes - dt.timedelta(seconds=1))
    assert cutoff.answer_window_closed(MARCH, now=closes)
    # December's window closes in January of the next year.
    assert cutoff.answer_window_closes(dt.date(2026, 12, 1)) == dt.datetime(
        2027, 1, 4, tzinfo=LOCAL_TZ
    )


def test_nothing_publishes_a_month_before_its_answer_window_closes(month):
    """The service, the beat's task and the command refuse until 00:00 on the 4th: the
    task compiles the month without publishing it, the command says why."""
    early = dt.datetime(2026, 4, 3, 23, 59, tzinfo=LOCAL_TZ)
    with at(early):
        rankings_services.rankings_compile(month=MARCH)
        with pytest.raises(AnswerWindowOpen):
            rankings_services.ranking_month_publish(month=MARCH)
        assert tasks.rankings_compile_month("2026-03") == "2026-03"
        with pytest.raises(CommandError, match="answer_window_open"):
            call_command("compile_rankings", "--month", "2026-03", "--publish")
    assert RankingMonth.objects.get(month=MARCH).published_at is None
    with at(dt.datetime(2026, 4, 4, 0, 0, tzinfo=LOCAL_TZ)):
        assert tasks.rankings_compile_month() == "2026-03"
    assert RankingMonth.objects.get(month=MARCH).published_at is not None


def test_version_1_compiled_again_later_is_what_was_published(month, make_user):
    """After the cutoff: answers, verdicts, a late review (dated April), an exclusion,
    a held review cleared and another decided fraud. Version 1 compiled again from its
    cutoff gives the published rows byte for byte, though the month today reads
    differently."""
    a, b, c = month["cadres"]
    first = publish()
    assert first.cutoff == first.published_at == PUBLICATION
    assert sorted(first.held_at_cutoff) == sorted(r.pk for r in month["held"].values())
    published = figures(first)
    # The answer of the 2nd and the rejection of the 3rd count; the held reviews do not.
    assert published[("cadre", a.pk)][2:8] == (7, 5, 2, 1, 1, 1)
    assert published[("cadre", b.pk)][2:8] == (7, 5, 2, 0, 0, 0)
    assert published[("cadre", c.pk)][2:8] == (7, 5, 2, 0, 0, 0)
    rows = recompile.published_rows(first)
    assert len(rows) == 3 + 2

    with at(AFTER):
        for bad in month["bad"]["乙"] + month["bad"]["甲"][1:]:
            services.review_respond(review=bad, responder=make_user(), message="已处理")
        answered = Review.objects.get(pk=month["bad"]["乙"][0].pk)
        services.review_verdict(review=answered, reviewer=answered.reviewer, accepted=True)
        review(a, make_user, AFTER, 5)  # April's: never March's
        services.review_exclude(review_id=month["bad"]["丙"][0].pk, reason=Exclusion.APPEAL)
        moderator = make_user(Role.RATING_MODERATOR)
        moderation_services.review_flag_clear(
            flag_id=ReviewFlag.objects.get(review=month["held"]["丙"]).pk,
            moderator=moderator,
            reason="本人到场",
        )
        moderation_services.review_flag_exclude(
            flag_id=ReviewFlag.objects.get(review=month["held"]["甲"]).pk,
            moderator=moderator,
            reason="刷评",
        )
    # Today's month is not the published one...
    now = rankings_services.month_counts(month=MARCH)
    assert (now[b.pk].bad_answered, now[b.pk].verdicts) == (2, 1)
    assert now[c.pk].reviews == 7  # one excluded, one held review cleared
    # ...yet version 1 compiled from its cutoff is, to the byte.
    assert recompile.recompiled_rows(first) == rows
    first.refresh_from_db()
    assert figures(first) == published
    # The ORM's counts (the Python compile) agree at the cutoff.
    at_cutoff = rankings_services.month_counts(
        month=MARCH, cutoff=first.cutoff, held=first.held_at_cutoff
    )
    for cadre in (a, b, c):
        counts = dataclasses.astuple(at_cutoff[cadre.pk])[:6]
        assert counts == published[("cadre", cadre.pk)][2:8]


def test_a_correction_is_the_cutoff_less_the_exclusions(month, make_user):
    """Only the excluded review's cadre and unit change (and the held review decided
    fraud shows in its counts of excluded reviews); the answers, verdicts and cleared
    review after the cutoff change nothing. The correction, compiled again, is itself."""
    a, b, c = month["cadres"]
    first = publish()
    before = figures(first)
    with at(AFTER):
        for bad in month["bad"]["乙"]:
            services.review_respond(review=bad, responder=make_user(), message="已处理")
        services.review_exclude(review_id=month["bad"]["丙"][0].pk, reason=Exclusion.APPEAL)
        moderator = make_user(Role.RATING_MODERATOR)
        moderation_services.review_flag_clear(
            flag_id=ReviewFlag.objects.get(review=month["held"]["丙"]).pk,
            moderator=moderator,
            reason="本人到场",
        )
        moderation_services.review_flag_exclude(
            flag_id=ReviewFlag.objects.get(review=month["held"]["甲"]).pk,
            moderator=moderator,
            reason="刷评",
        )
    with at(CORRECTION):
        second = rankings_services.ranking_month_correct(month=MARCH)
    assert second is not None
    assert (second.version, second.cutoff, second.corrected_at) == (2, first.cutoff, CORRECTION)
    assert (second.excluded_total, second.excluded_reviews) == (2, 2)
    after = figures(second)
    changed = {key for key in before if before[key] != after[key]}
    unit_of = {a.pk: a.unit_id, b.pk: b.unit_id, c.pk: c.unit_id}
    assert changed == {
        ("cadre", c.pk),
        ("unit", unit_of[c.pk]),
        ("cadre", a.pk),
        ("unit", unit_of[a.pk]),
    }
    # 丙: one bad review fewer, counted as excluded on appeal; the cleared one stays out.
    assert after[("cadre", c.pk)][2:6] == (6, 5, 1, 0)
    assert after[("cadre", c.pk)][-3:] == (0, 1, 0)
    # 甲: the same figures; the review held at the cutoff now excluded as fraud.
    assert after[("cadre", a.pk)][:-3] == before[("cadre", a.pk)][:-3]
    assert after[("cadre", a.pk)][-3:] == (0, 0, 1)
    assert after[("cadre", b.pk)] == before[("cadre", b.pk)]
    assert recompile.recompiled_rows(second) == recompile.published_rows(second)
    assert recompile.recompiled_rows(first) == recompile.published_rows(first)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_exclusions_in_one_minute_make_one_version(
    month,
    correction_queue,  # noqa: F811 (the fixture imported above)
    settings,
):
    """The debounce, through Redis to a worker: two exclusions committed apart, the
    second within RANKINGS_CORRECTION_DELAY of the first, each scheduling the task that
    long after its commit. The first run publishes one version holding both; the second
    finds nothing new."""
    settings.RANKINGS_CORRECTION_DELAY = 3
    publish()
    bad = month["bad"]["丙"]
    worker = start_worker(correction_queue)
    try:
        services.review_exclude(review_id=bad[0].pk, reason=Exclusion.APPEAL)
        time.sleep(1)
        services.review_exclude(review_id=bad[1].pk, reason=Exclusion.FRAUD)
        second_due = time.monotonic() + settings.RANKINGS_CORRECTION_DELAY
        for _ in range(600):
            if selectors.published_month(month=MARCH).version > 1:
                break
            time.sleep(0.1)
        # Once the second exclusion's run is due, and a little more for it to run.
        time.sleep(max(0.0, second_due - time.monotonic()) + 3)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert output.count("succeeded") >= 2, output
    versions = RankingMonth.objects.filter(month=MARCH).order_by("version")
    assert [(v.version, v.excluded_reviews) for v in versions] == [(1, 0), (2, 2)], output


def test_the_migration_gives_earlier_months_version_1_s_publication_as_cutoff(month):
    """Migration 0003: every version of a month published before there was a cutoff
    takes version 1's published_at; a month not published keeps none."""
    first = publish()
    with at(AFTER):
        services.review_exclude(review_id=month["bad"]["丙"][0].pk, reason=Exclusion.APPEAL)
    with at(CORRECTION):
        second = rankings_services.ranking_month_correct(month=MARCH)
    april = RankingMonth.objects.create(month=dt.date(2026, 4, 1), compiled_at=CORRECTION)
    RankingMonth.objects.update(cutoff=None)
    backfill = importlib.import_module("rankings.migrations.0005_cutoff").BACKFILL_SQL
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    cutoffs = dict(RankingMonth.objects.values_list("pk", "cutoff"))
    assert cutoffs == {first.pk: PUBLICATION, second.pk: PUBLICATION, april.pk: None}


def test_the_page_says_when_a_month_is_published(client, month):
    """Before any month and on a published one: the 4th, 01:00, after the answer window,
    counting what was given by the first publication (zh-hans by default)."""
    when = "每月排名于次月 4 日 1:00（北京时间）发布"
    assert when in client.get("/leaderboard/").content.decode()
    publish()
    html = client.get("/leaderboard/2026-03/").content.decode()
    assert when in html and "只计入首次发布前作出的答复和评议" in html


def test_the_admin_shows_the_cutoff_and_nobody_edits_it(month, district_admin, client):
    first = publish()
    client.force_login(district_admin)
    html = client.get(f"/admin/rankings/rankingmonth/{first.pk}/change/").content.decode()
    assert "截止时刻" in html and "截止时刻待审核的评价" in html
    assert 'name="cutoff' not in html and 'name="held_at_cutoff"' not in html


def test_the_beat_s_publication_compiles_once_and_a_refusal_leaves_no_row(month):
    """A month never compiled is compiled by its publication, in its transaction: a
    refusal (a later month published) rolls the new row back."""
    april = dt.date(2026, 4, 1)
    RankingMonth.objects.create(
        month=april, compiled_at=AFTER, published_at=AFTER, cutoff=AFTER, digest="0" * 64
    )
    with at(PUBLICATION), pytest.raises(LaterMonthPublished):
        rankings_services.rankings_compile_and_publish(month=MARCH, publish=True)
    assert not RankingMonth.objects.filter(month=MARCH).exists()
    RankingMonth.objects.filter(month=april).delete()
    first = publish()
    assert first.entries.count() == 3 + 2 and first.compiled_at >= first.cutoff


def test_a_correction_lists_version_1_s_cadres_as_published(month, make_cadre):
    """After the cutoff a cadre is renamed and moves unit, another leaves, a new one
    arrives: version 1 compiled again is still itself, and the correction lists the
    cadres, names and units version 1 published, changing only the excluded review's
    cadre and unit."""
    a, b, c = month["cadres"]
    first = publish()
    before = figures(first)
    names = dict(RankingEntry.objects.filter(ranking=first).values_list("pk", "name"))
    a.name, a.unit = "甲（已更名）", c.unit
    a.save()
    b.active = False
    b.save()
    make_cadre(unit=c.unit, name="新人")
    assert recompile.recompiled_rows(first) == recompile.published_rows(first)
    with at(AFTER):
        services.review_exclude(review_id=month["bad"]["丙"][0].pk, reason=Exclusion.APPEAL)
    with at(CORRECTION):
        second = rankings_services.ranking_month_correct(month=MARCH)
    after = figures(second)
    assert set(after) == set(before)
    first_unit = b.unit_id  # 甲's and 乙's as published
    assert {key for key in before if before[key] != after[key]} == {
        ("cadre", c.pk),
        ("unit", c.unit_id),
        ("unit", first_unit),  # overtaken by 丙's unit: its rank and bottom only
    }
    moved = {FIGURES.index(f) for f in ("position", "rank", "bottom")}
    unit_before, unit_after = before[("unit", first_unit)], after[("unit", first_unit)]
    assert [v for i, v in enumerate(unit_before) if i not in moved] == [
        v for i, v in enumerate(unit_after) if i not in moved
    ]
    published_names = sorted(names.values())
    assert sorted(second.entries.values_list("name", flat=True)) == published_names
    assert second.entries.get(cadre=a).unit_name == "政务服务局"
    assert recompile.recompiled_rows(second) == recompile.published_rows(second)
