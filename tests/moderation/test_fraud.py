"""Fraud signals on reviews: each rule with data that trips it and data that does not,
colleagues refused and excluded, the device id, and the nightly rerun adding nothing."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from cadres import codes
from cadres import hashes as fraud
from cadres import services as cadres_services
from cadres.models import Exclusion, Review
from core import devices
from core.timezones import LOCAL_TZ
from moderation import fraud as moderation_fraud
from moderation import services
from moderation.models import FlagRule, ReviewFlag
from points.models import Entry
from points.selectors import resident_summary
from tests.forms import nonce_for

from .conftest import at

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in Shanghai.
T = dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 4)


def minutes(n):
    return T + dt.timedelta(minutes=n)


def new_users(make_user, count, joined=T):
    users = [make_user() for _ in range(count)]
    User.objects.filter(pk__in=[u.pk for u in users]).update(date_joined=joined)
    for user in users:
        user.date_joined = joined
    return users


def flags(rule=None):
    rows = ReviewFlag.objects.all()
    if rule:
        rows = rows.filter(rule=rule)
    return rows


def review(cadre, user, rating=5, moment=T, **kwargs):
    with at(moment):
        return cadres_services.review_create(cadre=cadre, reviewer=user, rating=rating, **kwargs)


# --- Colleagues --------------------------------------------------------------------------


def test_a_colleague_is_refused_at_submission_with_its_own_code(
    client_for, unit_admin, make_user, make_cadre, cadre, unit, badge
):
    """Staff of the unit and the unit's other cadres get 403 review_by_colleague, in
    the request's language, and nothing is written; a cadre of another unit reviews."""
    colleague_cadre = make_cadre(unit=unit)
    fellow = make_user(Role.CADRE, cadre=colleague_cadre.pk)
    body = {"code": badge(cadre), "rating": 1, "comment": "差"}
    for user in (unit_admin, fellow):
        response = client_for(user).post(
            f"/api/v1/cadres/{cadre.pk}/reviews", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == "review_by_colleague"
        assert "colleague" in response.json()["detail"]
    response = client_for(unit_admin).post(
        f"/api/v1/cadres/{cadre.pk}/reviews", body, format="json"
    )
    assert "同事" in response.json()["detail"]
    assert Review.objects.count() == 0
    assert Entry.objects.count() == 0
    outsider = make_user(Role.CADRE, cadre=make_cadre().pk)  # another unit
    response = client_for(outsider).post(f"/api/v1/cadres/{cadre.pk}/reviews", body, format="json")
    assert response.status_code == 201
    assert resident_summary(user=outsider).redeemable == 10


def test_the_page_tells_a_colleague_why(client, unit_admin, cadre):
    client.force_login(unit_admin)
    response = client.post(
        f"/cadres/{cadre.pk}/review",
        {"token": codes.badge_token(cadre), "rating": "1", **nonce_for(unit_admin)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "同事" in response.content.decode()
    assert Review.objects.count() == 0


def test_the_nightly_pass_excludes_reviews_by_whoever_is_now_a_colleague(
    make_user, make_cadre, cadre, unit
):
    """A resident who reviewed a cadre and later joined the unit: the review leaves the
    rankings (colleague), with a decided flag as the record; other reviews stay; a
    second run changes nothing."""
    joiner, stranger = make_user(), make_user()
    kept = review(cadre, stranger)
    theirs = review(cadre, joiner)
    other_unit = review(make_cadre(), joiner)
    make_user(Role.URBAN_OFFICER, phone=joiner.phone, unit=unit.pk)
    with at(minutes(60 * 24)):
        result = services.reviews_fraud_scan(day=DAY)
    assert result["colleague_excluded"] == 1
    theirs.refresh_from_db()
    assert theirs.excluded_reason == Exclusion.COLLEAGUE
    flag = ReviewFlag.objects.get(review=theirs)
    assert (flag.rule, flag.state, flag.decided_by) == (FlagRule.COLLEAGUE, "excluded", None)
    for other in (kept, other_unit):
        other.refresh_from_db()
        assert other.excluded_reason == ""
    assert services.reviews_fraud_scan(day=DAY)["colleague_excluded"] == 0
    assert ReviewFlag.objects.count() == 1


# --- A burst of new accounts ---------------------------------------------------------------


def test_a_burst_of_new_accounts_is_flagged_at_submission_and_whole_at_night(
    make_user, cadre, settings
):
    """5 accounts created today review one cadre within 4 minutes: the 5th review is
    flagged when it comes in, the night flags all five, and a rerun adds nothing."""
    settings.FRAUD_BURST_REVIEWS, settings.FRAUD_BURST_MINUTES = 5, 10
    made = [
        review(cadre, user, moment=minutes(i)) for i, user in enumerate(new_users(make_user, 5))
    ]
    flagged = list(flags(FlagRule.BURST))
    assert [f.review_id for f in flagged] == [made[-1].pk]
    assert flagged[0].detail == {"reviews": 5, "minutes": 10}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(flags(FlagRule.BURST).values_list("review_id", flat=True)) == {r.pk for r in made}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 21))
    assert flags(FlagRule.BURST).count() == 5


def test_old_accounts_or_a_slow_trickle_are_no_burst(make_user, make_cadre, settings):
    settings.FRAUD_BURST_REVIEWS, settings.FRAUD_BURST_MINUTES = 5, 10
    older = new_users(make_user, 5, joined=T - dt.timedelta(days=2))
    first, second = make_cadre(), make_cadre()
    for i, user in enumerate(older):
        review(first, user, moment=minutes(i))
    # New accounts, but 3 minutes apart: any 10 minutes hold at most 4 of them.
    for i, user in enumerate(new_users(make_user, 5)):
        review(second, user, moment=minutes(3 * i))
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert not flags().exists()


# --- One device, one address ---------------------------------------------------------------


def test_one_device_reviewing_many_cadres_in_an_hour_is_flagged(
    client_for, make_user, make_cadre, badge, settings
):
    """Through the API's X-Device-Id (a token the server issued): 3 cadres from one
    device (three accounts) trip the rule at the third; another device's reviews do
    not; the device is stored as a keyed hash only."""
    settings.FRAUD_DEVICE_CADRES_PER_HOUR = 3
    farm = devices.device_token_new()
    cadres = [make_cadre() for _ in range(3)]
    users = [make_user() for _ in range(3)]
    for cadre, user in zip(cadres, users, strict=True):
        response = client_for(user).post(
            f"/api/v1/cadres/{cadre.pk}/reviews",
            {"code": badge(cadre), "rating": 5},
            format="json",
            HTTP_X_DEVICE_ID=farm,
        )
        assert response.status_code == 201
    assert list(flags().values_list("rule", "detail")) == [
        (FlagRule.DEVICE, {"cadres": 3, "minutes": 60})
    ]
    stored = Review.objects.values_list("device_hash", flat=True).distinct()
    assert list(stored) == [fraud.device_hash(farm)]
    assert farm not in stored[0]
    # Two more cadres from two other devices: nothing.
    for user in users[:2]:
        cadre = make_cadre()
        client_for(user).post(
            f"/api/v1/cadres/{cadre.pk}/reviews",
            {"code": badge(cadre), "rating": 5},
            format="json",
            HTTP_X_DEVICE_ID=devices.device_token_new(),
        )
    assert flags().count() == 1


def test_one_address_over_more_than_an_hour_is_not_flagged(make_user, make_cadre, settings):
    """An account created that day (the address counts beside it) reviewing from one
    address: three cadres over two hours trip nothing; three within the hour trip one
    flag for that address and hour, which the night recounts in place (3 reviews)."""
    settings.FRAUD_ADDRESS_CADRES_PER_HOUR = 3
    (user,) = new_users(make_user, 1)
    spread = [make_cadre() for _ in range(3)]
    for i, cadre in enumerate(spread):
        review(cadre, user, moment=minutes(40 * i), address="203.0.113.9")
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert not flags().exists()
    bunched = [make_cadre() for _ in range(3)]
    made = [
        review(cadre, user, moment=minutes(200 + 10 * i), address="203.0.113.9")
        for i, cadre in enumerate(bunched)
    ]
    assert list(flags().values_list("rule", "review_id", "reviews")) == [
        (FlagRule.ADDRESS, made[-1].pk, 1)
    ]
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert list(flags().values_list("rule", "review_id", "reviews")) == [
        (FlagRule.ADDRESS, made[-1].pk, 3)
    ]


def test_a_shared_address_alone_flags_nothing(make_user, make_cadre, settings):
    """A district office's NAT: 15 residents with accounts older than the day, no device
    token, 15 cadres within the hour from one address: no flag at submission, none at
    night (the address is a weak signal, and nothing beside it)."""
    settings.FRAUD_ADDRESS_CADRES_PER_HOUR = 10
    residents = new_users(make_user, 15, joined=T - dt.timedelta(days=30))
    for i, user in enumerate(residents):
        review(make_cadre(), user, moment=minutes(i), address="203.0.113.9")
    assert not flags().exists()
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert not flags().exists()


def test_an_address_with_new_accounts_is_one_flag_per_hour_counting_its_reviews(
    make_user, make_cadre, settings
):
    """15 accounts created that day reviewing 15 cadres from one address within the
    hour, and 3 more the next hour: one flag for the first hour, counted in place from
    the 10th review (6 reviews at submission, 15 after the night), one for the next hour
    (its window still holds 17 cadres), each on its first review."""
    settings.FRAUD_ADDRESS_CADRES_PER_HOUR = 10
    users = new_users(make_user, 18)
    made = [
        review(make_cadre(), user, moment=minutes(i * 3), address="203.0.113.9")
        for i, user in enumerate(users[:15])
    ]
    assert list(flags().values_list("rule", "review_id", "reviews")) == [
        (FlagRule.ADDRESS, made[9].pk, 6)
    ]
    later = [
        review(make_cadre(), user, moment=minutes(60 + i), address="203.0.113.9")
        for i, user in enumerate(users[15:])
    ]

    def hours():
        return list(flags().order_by("hour").values_list("review_id", "reviews", "detail"))

    assert hours() == [
        (made[9].pk, 6, {"cadres": 15, "minutes": 60}),
        (later[0].pk, 3, {"cadres": 17, "minutes": 60}),
    ]
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert hours() == [
        (made[9].pk, 15, {"cadres": 17, "minutes": 60}),
        (later[0].pk, 3, {"cadres": 17, "minutes": 60}),
    ]
    assert flags().count() == 2


def test_a_review_that_trips_nothing_costs_no_statement_more(resident, cadre):
    """The rules' counts come back with the INSERT (PostgreSQL), or in one SELECT."""
    with CaptureQueriesContext(connection) as queries:
        review(cadre, resident, address="198.51.100.7", device_id=devices.device_token_new())
    flag_inserts = [q for q in queries.captured_queries if "cadres_reviewflag" in q["sql"]]
    assert flag_inserts == []


def test_at_submission_an_address_is_judged_on_its_latest_reviews(make_user, make_cadre, settings):
    """A busy shared address (a carrier's NAT) costs a review FRAUD_SCAN_ROWS rows at
    most: its other cadres are counted among its latest reviews of the hour. Four
    cadres reviewed, then four reviews of one more: with a window of 3 rows the fifth
    cadre's next review sees only that cadre; with 8 rows it sees all five."""
    settings.FRAUD_ADDRESS_CADRES_PER_HOUR = 5
    settings.FRAUD_SCAN_ROWS = 3
    spread = [make_cadre() for _ in range(4)]
    busy = make_cadre()
    for i, cadre in enumerate(spread):
        review(cadre, new_users(make_user, 1)[0], moment=minutes(i), address="203.0.113.9")
    for i in range(4):
        review(busy, new_users(make_user, 1)[0], moment=minutes(10 + i), address="203.0.113.9")
    assert not flags().exists()
    settings.FRAUD_SCAN_ROWS = 8
    last = review(spread[0], new_users(make_user, 1)[0], moment=minutes(20), address="203.0.113.9")
    assert list(flags().values_list("review_id", "rule", "detail")) == [
        (last.pk, FlagRule.ADDRESS, {"cadres": 5, "minutes": 60})
    ]


def test_at_submission_an_address_s_devices_are_read_without_its_reviews_with_none(
    make_user, make_cadre, settings
):
    """A NAT's reviews mostly come without a device (a phone's first review has none
    yet). Counting the devices the address presented reads its reviews with a device
    only (the partial index review_address_device_recent): none of the reviews without
    one is read and skipped, however many the hour holds. Before that index each review
    read every device-less review of its address's window (2.9 ms at 5,600 of them).
    The hour's reviews are loaded in bulk and the table analyzed, as a district's would
    be, so that the planner weighs its real paths (on a table of a few rows any plan
    is cheapest)."""
    settings.FRAUD_SCAN_ROWS = 100
    nat, elsewhere = fraud.address_hash("203.0.113.9"), fraud.address_hash("198.51.100.7")
    reviewers = new_users(make_user, 60)
    cadres = [make_cadre() for _ in range(50)]
    day = minutes(0).astimezone(LOCAL_TZ).date()

    def row(i, reviewer, cadre, address, device=""):
        return Review(
            reviewer=reviewer,
            cadre=cadre,
            rating=5,
            created_at=minutes(i % 50),
            local_date=day,
            address_hash=address,
            device_hash=device,
        )

    pairs = [(r, c) for r in reviewers for c in cadres]  # one review a day of each cadre
    behind_nat = [row(i, r, c, nat) for i, (r, c) in enumerate(pairs[:2500])]
    # Devices elsewhere (which the device index alone would read), and two behind the NAT.
    with_device = [
        row(i, r, c, elsewhere, fraud.device_hash(devices.device_token_new()))
        for i, (r, c) in enumerate(pairs[2500:2998])
    ]
    with_device += [
        row(i, r, c, nat, fraud.device_hash(devices.device_token_new()))
        for i, (r, c) in enumerate(pairs[2998:3000])
    ]
    Review.objects.bulk_create(behind_nat + with_device)
    new = Review(
        reviewer=make_user(),
        cadre=cadres[0],
        created_at=minutes(55),
        local_date=day,
        address_hash=nat,
        device_hash="",
    )
    params = moderation_fraud.submission_counts_params(new)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Review._meta.db_table}")
        cursor.execute("SELECT " + moderation_fraud.SUBMISSION_COUNTS_SQL, params)
        counts = dict(zip(moderation_fraud.SUBMISSION_COLUMNS, cursor.fetchone(), strict=True))
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT " + moderation_fraud.SUBMISSION_COUNTS_SQL,
            params,
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    assert counts["address_devices"] == 2

    def nodes(node):
        yield node
        for child in node.get("Plans", ()):
            yield from nodes(child)

    (devices_count,) = [n for n in nodes(plan) if n.get("Alias") == "address_devices"]
    scans = [n for n in nodes(devices_count) if n.get("Relation Name") == Review._meta.db_table]
    assert scans, devices_count
    skipped = sum(
        n.get("Rows Removed by Filter", 0) + n.get("Rows Removed by Index Recheck", 0)
        for n in scans
    )
    assert skipped == 0, [(n["Node Type"], n.get("Index Name")) for n in scans]
    assert sum(n["Actual Rows"] for n in scans) == 2


def test_at_submission_a_burst_count_stops_at_the_scan_window(make_user, cadre, settings):
    """The burst's count reads at most FRAUD_SCAN_ROWS reviews: the flag still comes,
    its count says at least that many."""
    settings.FRAUD_BURST_REVIEWS, settings.FRAUD_BURST_MINUTES = 3, 10
    settings.FRAUD_SCAN_ROWS = 2
    made = [
        review(cadre, user, moment=minutes(i)) for i, user in enumerate(new_users(make_user, 6))
    ]
    flagged = list(flags(FlagRule.BURST).order_by("review_id"))
    assert [f.review_id for f in flagged] == [r.pk for r in made[2:]]
    assert {f.detail["reviews"] for f in flagged} == {3}


# --- One reviewer sweeping a unit ----------------------------------------------------------


def test_one_reviewer_rating_every_cadre_of_a_unit_1_or_2_in_a_day(
    make_user, make_unit, make_cadre
):
    unit = make_unit("康巴什区税务局")
    cadres = [make_cadre(unit=unit) for _ in range(3)]
    sweeper, fair, small = make_user(), make_user(), make_user()
    swept = [
        review(c, sweeper, rating=1 + i % 2, moment=minutes(30 * i)) for i, c in enumerate(cadres)
    ]
    # Two bad, one good: no sweep.
    for i, cadre in enumerate(cadres):
        review(cadre, fair, rating=1 if i < 2 else 4, moment=minutes(5 + i))
    # A unit of one cadre rated 1: not a sweep either.
    lone = make_cadre(unit=make_unit("康巴什区档案馆"))
    review(lone, small, rating=1)
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(flags(FlagRule.UNIT_SWEEP).values_list("review_id", flat=True)) == {
        r.pk for r in swept
    }
    assert flags().count() == 3
    assert flags().first().detail == {"cadres": 3}


# --- A cadre reviewed mostly by a few accounts ---------------------------------------------


def test_a_cadre_reviewed_mostly_by_a_few_accounts(make_user, make_cadre, settings):
    """Three accounts write 12 of a cadre's 15 reviews in 30 days (80%): their reviews
    are flagged; a cadre with 12 reviews from 12 accounts is not."""
    settings.FRAUD_FEW_ACCOUNTS_MIN_REVIEWS = 10
    settings.FRAUD_FEW_ACCOUNTS_COUNT = 3
    settings.FRAUD_FEW_ACCOUNTS_SHARE = 50
    pushed, plain = make_cadre(), make_cadre()
    regulars = [make_user() for _ in range(3)]
    suspicious = []
    for day in range(4):
        for user in regulars:
            suspicious.append(review(pushed, user, moment=T - dt.timedelta(days=day)))
    for user in [make_user() for _ in range(3)]:
        review(pushed, user)
    for user in [make_user() for _ in range(12)]:
        review(plain, user)
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(flags(FlagRule.FEW_ACCOUNTS).values_list("review_id", flat=True)) == {
        r.pk for r in suspicious
    }
    assert flags(FlagRule.FEW_ACCOUNTS).first().detail == {
        "reviews": 15,
        "accounts": 3,
        "share_percent": 80,
    }
    assert flags().count() == 12


def test_reviews_older_than_the_window_do_not_count(make_user, make_cadre, settings):
    settings.FRAUD_FEW_ACCOUNTS_MIN_REVIEWS = 10
    settings.FRAUD_FEW_ACCOUNTS_DAYS = 30
    cadre = make_cadre()
    regulars = [make_user() for _ in range(2)]
    for day in range(5):
        for user in regulars:
            review(cadre, user, moment=T - dt.timedelta(days=40 + day))
    review(cadre, make_user())
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert not flags().exists()


# --- The page's device cookie --------------------------------------------------------------


def test_the_badge_page_sets_a_first_party_device_cookie_and_uses_it(client, resident, cadre):
    """The signed-in visitor's first page view sets the server-signed token as an
    HttpOnly cookie; the review made with it counts that device; later views keep it."""
    client.force_login(resident)
    response = client.get(f"/q/{codes.badge_token(cadre)}")
    cookie = response.cookies["duoduo_device"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert devices.device_token_valid(cookie.value)
    assert response["X-Device-Id"] == cookie.value
    client.post(
        f"/cadres/{cadre.pk}/review",
        {"token": codes.badge_token(cadre), "rating": "5", **nonce_for(resident)},
    )
    assert Review.objects.get().device_hash == fraud.device_hash(cookie.value)
    # The cookie stays the same on later visits.
    assert "duoduo_device" not in client.get(f"/q/{codes.badge_token(cadre)}").cookies


def test_the_schema_documents_the_device_header(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/cadres/{id}/reviews"]["post"]
    names = {(p["in"], p["name"]) for p in operation["parameters"]}
    assert ("header", "X-Device-Id") in names
    assert "review_by_colleague" in operation["responses"]["403"]["description"]


def test_a_cadre_appealing_most_of_its_bad_reviews_is_flagged(make_user, make_cadre, cadre_user):
    """Two of a cadre's three bad reviews of the month appealed (more than half): both
    appealed reviews go to the moderators; a cadre who appealed one of three does not."""
    habitual, fair = make_cadre(), make_cadre()
    bad = {c: [review(c, make_user(), rating=1) for _ in range(3)] for c in (habitual, fair)}
    appealed = bad[habitual][:2]
    with at(minutes(60)):
        for r in [*appealed, bad[fair][0]]:
            services.appeal_create(
                review=r, appellant=cadre_user, reason="This review is malicious."
            )
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    rows = flags(FlagRule.APPEALS_MOST)
    assert set(rows.values_list("review_id", flat=True)) == {r.pk for r in appealed}
    assert rows.first().detail == {"appealed": 2, "bad_reviews": 3}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 21))
    assert flags(FlagRule.APPEALS_MOST).count() == 2
