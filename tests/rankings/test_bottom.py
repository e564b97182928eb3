"""The bottom and its consequences: months in a row in the bottom 10 %, warning talks at
two, post reviews at three, their states in the admin, and the standing committee's PDF."""

import datetime as dt

import pytest
from django.test import Client

from accounts.roles import Role
from cadres import services as cadres_services
from rankings import services
from rankings.models import BottomStreak, BottomWarning
from tests import pdf_text
from tests.conftest import next_phone
from tests.forms import nonce_of

from .conftest import at

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def district(make_unit, make_cadre):
    """Two units of one cadre each: 好 (rated 5) and 差 (rated 1, the bottom)."""
    good_unit, bad_unit = make_unit("优秀局"), make_unit("落后局")
    return {
        "good": make_cadre(unit=good_unit, name="好干部"),
        "bad": make_cadre(unit=bad_unit, name="差干部"),
        "good_unit": good_unit,
        "bad_unit": bad_unit,
    }


def month_of_reviews(make_user, month, ratings):
    """5 reviews each in `month`: {cadre: rating}; then compile and publish it."""
    for cadre, rating in ratings.items():
        for day in range(5):
            with at(dt.datetime(month.year, month.month, 2 + day, 2, 0, tzinfo=dt.UTC)):
                cadres_services.review_create(
                    cadre=cadre, reviewer=make_user(phone=next_phone()), rating=rating
                )
    services.rankings_compile(month=month)
    return services.ranking_month_publish(month=month)


def streaks(ranking):
    return {(s.scope, s.name): s.months for s in BottomStreak.objects.filter(ranking=ranking)}


def warnings_of(ranking):
    return sorted(
        (w.kind, w.scope, w.name, w.streak) for w in BottomWarning.objects.filter(ranking=ranking)
    )


def test_streaks_warn_at_two_and_list_a_post_review_at_three(district, make_user):
    bad, good = district["bad"], district["good"]
    jan = month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    assert streaks(jan) == {("unit", "落后局"): 1, ("cadre", "差干部"): 1}
    assert warnings_of(jan) == []

    feb = month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    assert streaks(feb) == {("unit", "落后局"): 2, ("cadre", "差干部"): 2}
    assert warnings_of(feb) == [
        ("talk", "cadre", "差干部", 2),
        ("talk", "unit", "落后局", 2),
    ]
    warning = BottomWarning.objects.get(ranking=feb, scope="cadre")
    assert warning.state == "open" and warning.unit_id == bad.unit_id

    mar = month_of_reviews(make_user, MAR, {bad: 1, good: 5})
    assert warnings_of(mar) == [
        ("post_review", "cadre", "差干部", 3),
        ("post_review", "unit", "落后局", 3),
    ]


def test_a_month_out_of_the_bottom_or_a_gap_restarts_the_count(district, make_user):
    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    month_of_reviews(make_user, FEB, {bad: 5, good: 1})  # they swap
    mar = month_of_reviews(make_user, MAR, {bad: 1, good: 5})
    assert streaks(mar) == {("unit", "落后局"): 1, ("cadre", "差干部"): 1}
    assert warnings_of(mar) == []


def test_recording_again_changes_nothing_and_keeps_the_state(district, make_user, district_admin):
    """Republishing a month records the same streaks and keeps its warnings as they are."""
    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    feb = month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    warning = BottomWarning.objects.get(ranking=feb, scope="cadre")
    services.bottom_warning_change(
        warning=warning, state="talk_held", note="已约谈", actor=district_admin
    )
    before = (streaks(feb), warnings_of(feb))
    services.bottom_record(ranking=feb)
    services.bottom_record(ranking=feb)
    assert (streaks(feb), warnings_of(feb)) == before
    warning.refresh_from_db()
    assert (warning.state, warning.note, warning.changed_by) == (
        "talk_held",
        "已约谈",
        district_admin,
    )


def test_states_move_on_only_and_closing_needs_a_note(district, make_user, district_admin):
    from core.errors import Invalid
    from rankings.errors import WarningStateInvalid

    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    feb = month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    warning = BottomWarning.objects.get(ranking=feb, scope="unit")
    with pytest.raises(Invalid):
        services.bottom_warning_change(
            warning=warning, state="closed", note="", actor=district_admin
        )
    services.bottom_warning_change(
        warning=warning, state="closed", note="已整改", actor=district_admin
    )
    with pytest.raises(WarningStateInvalid):
        services.bottom_warning_change(
            warning=warning, state="talk_held", note="", actor=district_admin
        )
    warning.refresh_from_db()
    assert (warning.state, warning.note) == ("closed", "已整改")


def test_the_admin_shows_a_unit_its_own_warnings_and_moves_them(
    district, make_user, district_admin
):
    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    feb = month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    bad_admin = make_user(Role.UNIT_ADMIN, unit=district["bad_unit"].pk)
    good_admin = make_user(Role.UNIT_ADMIN, unit=district["good_unit"].pk)

    html = admin_client(bad_admin).get("/admin/rankings/bottomwarning/").content.decode()
    assert "差干部" in html and "落后局" in html
    assert (
        "差干部"
        not in admin_client(good_admin).get("/admin/rankings/bottomwarning/").content.decode()
    )
    # The admin index counts the open ones as a queue, in Chinese.
    index = admin_client(district_admin).get("/admin/").content.decode()
    assert "未办结的末位提醒" in index

    ids = list(BottomWarning.objects.filter(ranking=feb).values_list("pk", flat=True))
    # The other unit's admin cannot move them (not in its list: nothing changes).
    good = admin_client(good_admin)
    good.post(
        "/admin/rankings/bottomwarning/",
        {"action": "mark_talk_held", "_selected_action": ids, "note": "", **nonce_of(good)},
    )
    assert set(BottomWarning.objects.values_list("state", flat=True)) == {"open"}
    client = admin_client(bad_admin)
    client.post(
        "/admin/rankings/bottomwarning/",
        {"action": "mark_talk_held", "_selected_action": ids, "note": "", **nonce_of(client)},
    )
    assert set(BottomWarning.objects.values_list("state", flat=True)) == {"talk_held"}
    client.post(
        "/admin/rankings/bottomwarning/",
        {"action": "close", "_selected_action": ids, "note": "", **nonce_of(client)},
    )
    assert set(BottomWarning.objects.values_list("state", flat=True)) == {"talk_held"}
    client.post(
        "/admin/rankings/bottomwarning/",
        {"action": "close", "_selected_action": ids, "note": "已整改到位", **nonce_of(client)},
    )
    warning = BottomWarning.objects.get(ranking=feb, scope="cadre")
    assert (warning.state, warning.note, warning.changed_by) == ("closed", "已整改到位", bad_admin)
    assert warning.changed_at is not None


def test_the_standing_committee_report_pdf(district, make_user, district_admin):
    """A PDF per published month from the admin: the bottom units and cadres with their
    months in a row and last three months, and the open warnings, in Chinese."""
    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    mar = month_of_reviews(make_user, MAR, {bad: 1, good: 5})
    response = admin_client(district_admin).post(
        "/admin/rankings/rankingmonth/", {"action": "bottom_report", "_selected_action": [mar.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    [page] = pdf_text.pages(response.content)
    text = "\n".join(run.text for run in pdf_text.runs(page))
    assert "末位单位和干部 · 2026-03" in text and "未办结的提醒" in text
    assert "落后局" in text and "差干部" in text and "好干部" not in text
    # The trend: the last three months' ranks and scores.
    assert "2026-01: #2" in text and "2026-02: #2" in text and "2026-03: #2" in text
    # Open warnings: February's talks and March's post reviews, both subjects.
    assert text.count("差干部") >= 3
    assert pdf_text.unembedded_fonts(page) == []


def test_the_report_needs_one_published_month(district_admin, district, make_user):
    jan = month_of_reviews(make_user, JAN, {district["bad"]: 1, district["good"]: 5})
    services.rankings_compile(month=FEB)
    from rankings.models import RankingMonth

    feb = RankingMonth.objects.get(month=FEB)
    response = admin_client(district_admin).post(
        "/admin/rankings/rankingmonth/",
        {"action": "bottom_report", "_selected_action": [jan.pk, feb.pk]},
    )
    # Only January is published: one month, its PDF.
    assert response["Content-Type"] == "application/pdf"
    response = admin_client(district_admin).post(
        "/admin/rankings/rankingmonth/",
        {"action": "bottom_report", "_selected_action": [feb.pk]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")


def test_a_cadre_who_moves_unit_keeps_the_streak(district, make_user):
    bad, good = district["bad"], district["good"]
    month_of_reviews(make_user, JAN, {bad: 1, good: 5})
    bad.unit = district["good_unit"]
    bad.save(update_fields=["unit"])
    feb = month_of_reviews(make_user, FEB, {bad: 1, good: 5})
    assert streaks(feb)[("cadre", "差干部")] == 2
    warning = BottomWarning.objects.get(ranking=feb, scope="cadre")
    # The warning goes to the cadre's unit now.
    assert warning.unit_id == district["good_unit"].pk
