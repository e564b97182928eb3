"""The bottom follows the latest version (issue 21, item 3): a correction records again
the streaks of its month and of every later published month, withdraws the warnings
they no longer support (kept, with the version that withdrew them, and the cadre told)
and opens those they newly support; the standing committee's report and a cadre's
history read the latest version of each month."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.roles import Role
from cadres import services as cadres_services
from cadres.models import Exclusion, Review
from notifications.models import Notification
from rankings import reports, selectors, services
from rankings.errors import WarningStateInvalid
from rankings.models import BottomStreak, BottomWarning, RankingMonth
from tests import pdf_text
from tests.conftest import next_phone

from .conftest import at

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (dt.date(2026, m, 1) for m in (1, 2, 3))
FILLERS = 8  # with B, M and W: 11 ranked cadres, so the bottom 10 % is two of them


@pytest.fixture
def district(make_unit, make_cadre, make_user):
    """One unit (so the unit scope's bottom is always it) of 8 cadres rated 5 and three
    weak ones, B, M and W, each with an account:
    January B 1, M 2, W 3; February B 1, W 2, M 3; March B 1, M 2, W 3.
    A rating of 1 or 2 scores 10.00, a 3 scores 40.00: the bottom is {B, M}, {B, W},
    {B, M}, so B is 1, 2, 3 months in a row (a talk in February, a post review in March)."""
    unit = make_unit("城区管理局")
    fillers = [make_cadre(unit=unit, name=f"好干部{n}") for n in range(FILLERS)]
    weak = {name: make_cadre(unit=unit, name=name) for name in ("B", "M", "W")}
    users = {
        name: make_user(Role.CADRE, phone=next_phone(), cadre=cadre.pk)
        for name, cadre in weak.items()
    }
    plan = {
        JAN: {"B": 1, "M": 2, "W": 3},
        FEB: {"B": 1, "W": 2, "M": 3},
        MAR: {"B": 1, "M": 2, "W": 3},
    }
    for month, ratings in plan.items():
        given = {**dict.fromkeys(fillers, 5), **{weak[k]: r for k, r in ratings.items()}}
        for cadre, rating in given.items():
            for day in range(5):
                with at(dt.datetime(month.year, month.month, 2 + day, 2, 0, tzinfo=dt.UTC)):
                    cadres_services.review_create(
                        cadre=cadre, reviewer=make_user(phone=next_phone()), rating=rating
                    )
        services.rankings_compile(month=month)
        services.ranking_month_publish(month=month)
    return {"unit": unit, **weak, "users": users}


def latest(month) -> RankingMonth:
    return RankingMonth.objects.filter(month=month).order_by("-version").first()


def streaks(month) -> dict:
    """The month's streaks as recorded against its latest version."""
    rows = BottomStreak.objects.filter(ranking=latest(month))
    return {(s.scope, s.name): s.months for s in rows}


def warnings(month) -> list[tuple]:
    """Every warning of the month, on whichever version: (kind, scope, name, streak,
    state, version recorded on, version that withdrew it)."""
    rows = BottomWarning.objects.filter(ranking__month=month).select_related(
        "ranking", "withdrawn_by"
    )
    return sorted(
        (
            w.kind,
            w.scope,
            w.name,
            w.streak,
            w.state,
            w.ranking.version,
            w.withdrawn_by.version if w.withdrawn_by else None,
        )
        for w in rows
    )


def told(user, kind) -> list[dict]:
    return list(Notification.objects.filter(user=user, kind=kind).order_by("pk").values("params"))


def exclude_one(cadre, month):
    """Uphold an appeal against one of the cadre's reviews of `month`, and correct it
    (what the task does once the exclusion commits)."""
    review = Review.objects.filter(cadre=cadre, local_date__gte=month).order_by("pk").first()
    assert cadres_services.review_exclude(review_id=review.pk, reason=Exclusion.APPEAL)
    return services.ranking_month_correct(month=month)


def history_bottoms(api, cadre) -> dict:
    response = api.get(f"/api/v1/cadres/{cadre.pk}/history")
    assert response.status_code == 200
    return {line["month"]: (line["rank"], line["bottom"]) for line in response.json()["months"]}


def report_lines(month) -> dict:
    ranking = RankingMonth.objects.get(month=month, version=1)  # as if picked in the admin
    report = selectors.bottom_report(ranking=ranking)
    return {
        "version": report.ranking.version,
        "lines": {(line.entry.scope, line.entry.name): line.months for line in report.lines},
        "open": sorted((w.ranking.label, w.kind, w.name) for w in report.warnings),
    }


UNIT_WARNINGS_FEB = [("talk", "unit", "城区管理局", 2, "open", 1, None)]
UNIT_WARNINGS_MAR = [("post_review", "unit", "城区管理局", 3, "open", 1, None)]


def test_a_correction_of_the_middle_month_moves_one_out_and_then_one_in(district, api):
    b, m, w, users = district["B"], district["M"], district["W"], district["users"]
    # As published: B three months running.
    assert streaks(FEB) == {("cadre", "B"): 2, ("cadre", "W"): 1, ("unit", "城区管理局"): 2}
    assert streaks(MAR) == {("cadre", "B"): 3, ("cadre", "M"): 1, ("unit", "城区管理局"): 3}
    assert warnings(FEB) == sorted([("talk", "cadre", "B", 2, "open", 1, None), *UNIT_WARNINGS_FEB])
    assert warnings(MAR) == sorted(
        [("post_review", "cadre", "B", 3, "open", 1, None), *UNIT_WARNINGS_MAR]
    )
    assert len(told(users["B"], "warning_issued")) == 2
    assert report_lines(MAR)["lines"][("cadre", "B")] == 3

    # 1. One of B's February reviews is excluded: B has 4 and is no longer ranked, ten
    # are, and the bottom of February is W alone. B's February talk and March post
    # review lose their ground: withdrawn by February v2; the unit's stay as they were.
    v2 = exclude_one(b, FEB)
    assert v2.version == 2
    assert streaks(FEB) == {("cadre", "W"): 1, ("unit", "城区管理局"): 2}
    assert streaks(MAR) == {("cadre", "B"): 1, ("cadre", "M"): 1, ("unit", "城区管理局"): 3}
    assert warnings(FEB) == sorted(
        [("talk", "cadre", "B", 2, "withdrawn", 1, 2), *UNIT_WARNINGS_FEB]
    )
    assert warnings(MAR) == sorted(
        [("post_review", "cadre", "B", 3, "withdrawn", 1, 2), *UNIT_WARNINGS_MAR]
    )
    withdrawn = told(users["B"], "warning_withdrawn")
    assert sorted(
        (n["params"]["month"], n["params"]["corrected"], n["params"]["version"]) for n in withdrawn
    ) == [("2026-02", "2026-02", 2), ("2026-03", "2026-02", 2)]
    assert not told(users["M"], "warning_issued") and not told(users["W"], "warning_issued")
    assert history_bottoms(api, b)["2026-02"] == (None, False)
    assert history_bottoms(api, w)["2026-02"][1] is True
    feb = report_lines(FEB)
    assert feb["version"] == 2 and feb["lines"] == {("unit", "城区管理局"): 2, ("cadre", "W"): 1}
    mar = report_lines(MAR)
    assert mar["lines"] == {("unit", "城区管理局"): 3, ("cadre", "B"): 1, ("cadre", "M"): 1}
    assert mar["open"] == [
        ("2026-02", "talk", "城区管理局"),
        ("2026-03", "post_review", "城区管理局"),
    ]

    # 2. One of W's February reviews is excluded: nine are ranked, and the bottom of
    # February is M (40.00 against 100.00), at the bottom in January and March too: a
    # talk in February (on v3) and a post review in March (on its version 1) open, and
    # M is told of both.
    v3 = exclude_one(w, FEB)
    assert v3.version == 3
    assert streaks(FEB) == {("cadre", "M"): 2, ("unit", "城区管理局"): 2}
    assert streaks(MAR) == {("cadre", "B"): 1, ("cadre", "M"): 3, ("unit", "城区管理局"): 3}
    assert warnings(FEB) == sorted(
        [
            ("talk", "cadre", "B", 2, "withdrawn", 1, 2),
            ("talk", "cadre", "M", 2, "open", 3, None),
            *UNIT_WARNINGS_FEB,
        ]
    )
    assert warnings(MAR) == sorted(
        [
            ("post_review", "cadre", "B", 3, "withdrawn", 1, 2),
            ("post_review", "cadre", "M", 3, "open", 1, None),
            *UNIT_WARNINGS_MAR,
        ]
    )
    issued = told(users["M"], "warning_issued")
    assert sorted((n["params"]["month"], n["params"]["months"]) for n in issued) == [
        ("2026-02", 2),
        ("2026-03", 3),
    ]
    assert len(told(users["B"], "warning_withdrawn")) == 2  # nothing more for B
    assert {month: bottom for month, (_, bottom) in history_bottoms(api, m).items()} == {
        "2026-01": True,
        "2026-02": True,
        "2026-03": True,
    }
    assert history_bottoms(api, m)["2026-02"] == (9, True)
    assert history_bottoms(api, w)["2026-02"] == (None, False)
    mar = report_lines(MAR)
    assert mar["lines"] == {("unit", "城区管理局"): 3, ("cadre", "B"): 1, ("cadre", "M"): 3}
    assert mar["open"] == [
        ("2026-02", "talk", "M"),
        ("2026-02", "talk", "城区管理局"),
        ("2026-03", "post_review", "M"),
        ("2026-03", "post_review", "城区管理局"),
    ]
    # The PDF of February (asked for as version 1) prints the corrected streaks.
    feb_pdf = reports.bottom_report_pdf(
        selectors.bottom_report(ranking=RankingMonth.objects.get(month=FEB, version=1))
    )
    text = "\n".join(run.text for page in pdf_text.pages(feb_pdf) for run in pdf_text.runs(page))
    assert "M (城区管理局)" in text and "B (城区管理局)" not in text.split("未办结的提醒")[0]

    # Recorded again (the same correction's task run twice): nothing changes, nobody
    # is told twice.
    before = (streaks(FEB), streaks(MAR), warnings(FEB), warnings(MAR))
    services.bottom_follow(correction=v3)
    assert (streaks(FEB), streaks(MAR), warnings(FEB), warnings(MAR)) == before
    assert Notification.objects.filter(kind__startswith="warning_").count() == 6


def test_a_withdrawn_warning_keeps_its_note_and_moves_no_further(district, district_admin):
    b = district["B"]
    talk = BottomWarning.objects.get(ranking__month=FEB, scope="cadre", cadre=b)
    services.bottom_warning_change(
        warning=talk, state="talk_held", note="已约谈", actor=district_admin
    )
    exclude_one(b, FEB)
    talk.refresh_from_db()
    assert (talk.state, talk.note, talk.withdrawn_by.version, talk.changed_by) == (
        "withdrawn",
        "已约谈",
        2,
        None,
    )
    with pytest.raises(WarningStateInvalid):
        services.bottom_warning_change(
            warning=talk, state="closed", note="已整改", actor=district_admin
        )
    # The admin shows it as withdrawn, in Chinese.
    client = Client()
    client.force_login(district_admin)
    html = client.get(f"/admin/rankings/bottomwarning/{talk.pk}/change/").content.decode()
    assert "已撤销" in html


def test_the_withdrawal_is_told_in_the_cadre_s_language(district, client_for):
    exclude_one(district["B"], FEB)
    user = district["users"]["B"]
    bodies = {}
    for language in ("zh-hans", "en"):
        response = client_for(user).get(
            "/api/v1/notifications?kind=warning_withdrawn", HTTP_ACCEPT_LANGUAGE=language
        )
        bodies[language] = sorted(
            (n["title"], n["body"])
            for n in response.json()["results"]
            if n["kind"] == "warning_withdrawn"
        )
    assert bodies["zh-hans"][0][0] == "警示已撤销"
    assert any(
        "2026-02 排名的更正（第 2 版）" in body and "提醒谈话" in body
        for _, body in bodies["zh-hans"]
    )
    assert any("post review of 2026-03" in body for _, body in bodies["en"])


def test_record_bottom_mends_a_month_corrected_before_the_bottom_followed(district):
    """A correction published before issue 21 left its streaks on version 1 and its
    warnings standing: `record_bottom --month` records them from the latest version on."""
    exclude_one(district["B"], FEB)
    # As such a correction left it: no streaks on v2, March's as published, B's warnings
    # standing.
    BottomStreak.objects.filter(ranking__month__gte=FEB).delete()
    BottomWarning.objects.update(state="open", withdrawn_by=None, changed_at=None)
    Notification.objects.filter(kind="warning_withdrawn").delete()
    assert report_lines(FEB)["lines"] == {("unit", "城区管理局"): 1, ("cadre", "W"): 1}

    call_command("record_bottom", "--month", "2026-02")
    assert streaks(FEB) == {("cadre", "W"): 1, ("unit", "城区管理局"): 2}
    assert streaks(MAR) == {("cadre", "B"): 1, ("cadre", "M"): 1, ("unit", "城区管理局"): 3}
    assert [w for w in warnings(FEB) + warnings(MAR) if w[4] == "withdrawn"] == [
        ("talk", "cadre", "B", 2, "withdrawn", 1, 2),
        ("post_review", "cadre", "B", 3, "withdrawn", 1, 2),
    ]
    assert len(told(district["users"]["B"], "warning_withdrawn")) == 2
    with pytest.raises(CommandError):
        call_command("record_bottom", "--month", "2026-04")


@pytest.mark.parametrize("month", ["2026-13", "2026-2", "February", ""])
def test_record_bottom_refuses_what_is_not_a_month_and_records_nothing(district, month):
    """Bad input to the command: a clear error, and no streak or warning moves."""
    before = (list(BottomStreak.objects.values_list()), list(BottomWarning.objects.values_list()))
    with pytest.raises(CommandError, match="Not a month"):
        call_command("record_bottom", "--month", month)
    after = (list(BottomStreak.objects.values_list()), list(BottomWarning.objects.values_list()))
    assert after == before
