"""The nightly scan's rules in one SQL statement (fraud.day_flags_add) flag exactly what
the rules written in Python (tests/moderation/fraud_reference.py, the reference) flag, on a mixed
day: shared devices and addresses, new accounts, bursts, a unit swept, a cadre reviewed
mostly by a few accounts, excluded reviews, ties and windows that end on the second."""

import datetime as dt
import json
import random

import pytest
from django.db import connection

from accounts.models import User
from cadres.models import Cadre, Exclusion, Review, Unit
from moderation import fraud
from moderation.models import FlagRule, ReviewFlag
from tests.moderation import fraud_reference

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 4)
# Midnight of DAY in Shanghai, in UTC.
MIDNIGHT = dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)
NOW = MIDNIGHT + dt.timedelta(days=1, hours=2, minutes=30)


def snapshot() -> set:
    return {
        (
            flag.review_id,
            flag.rule,
            json.dumps(flag.detail, sort_keys=True),
            flag.address_hash,
            flag.hour,
            flag.reviews,
            flag.created_at,
        )
        for flag in ReviewFlag.objects.all()
    }


def local(moment: dt.datetime) -> dt.date:
    return (moment + dt.timedelta(hours=8)).date()


@pytest.fixture
def mixed_day(make_user):
    rng = random.Random(2504)
    swept = Unit.objects.create(name="被扫的单位")
    crowd = Unit.objects.create(name="大单位")
    small = Unit.objects.create(name="一人单位")
    swept_cadres = [
        Cadre.objects.create(unit=swept, name=f"甲{n}", title="科员", employee_number=f"S{n}")
        for n in range(3)
    ]
    Cadre.objects.create(unit=swept, name="退休", title="科员", employee_number="S9", active=False)
    crowd_cadres = [
        Cadre.objects.create(unit=crowd, name=f"乙{n}", title="科员", employee_number=f"C{n}")
        for n in range(12)
    ]
    lone = Cadre.objects.create(unit=small, name="丙", title="科员", employee_number="L0")
    cadres = [*swept_cadres, *crowd_cadres, lone]
    users = [make_user() for _ in range(36)]
    # A third joined on the day (the burst's accounts), the rest long before.
    for n, user in enumerate(users):
        joined = (
            MIDNIGHT + dt.timedelta(hours=1) if n % 3 == 0 else MIDNIGHT - dt.timedelta(days=90)
        )
        User.objects.filter(pk=user.pk).update(date_joined=joined)
    devices = [f"dev{n}" for n in range(6)] + [""]
    addresses = [f"addr{n}" for n in range(4)] + [""]
    rows, seen = [], set()

    def add(user, cadre, moment, *, device=None, address=None, rating=None, excluded=""):
        key = (user.pk, cadre.pk, local(moment))
        if key in seen:
            return
        seen.add(key)
        rows.append(
            Review(
                reviewer=user,
                cadre=cadre,
                rating=rating or rng.randint(1, 5),
                created_at=moment,
                local_date=local(moment),
                device_hash=rng.choice(devices) if device is None else device,
                address_hash=rng.choice(addresses) if address is None else address,
                excluded_reason=excluded,
                excluded_at=NOW if excluded else None,
            )
        )

    # One reviewer rates every active cadre of the swept unit 1 or 2.
    for n, cadre in enumerate(swept_cadres):
        add(users[1], cadre, MIDNIGHT + dt.timedelta(hours=9, minutes=n), rating=1 + n % 2)
    # A burst: new accounts on one cadre, two minutes apart, one tie.
    for n, user in enumerate(users[0:18:3]):
        add(user, crowd_cadres[0], MIDNIGHT + dt.timedelta(hours=10, minutes=2 * min(n, 4)))
    # One address, many cadres and devices in half an hour (new accounts among them).
    for n, cadre in enumerate(crowd_cadres[1:12]):
        user = users[9 + n]
        moment = MIDNIGHT + dt.timedelta(hours=13, minutes=3 * n)
        add(user, cadre, moment, device=devices[n % 6], address="addr9")
    # One account, six cadres in 50 minutes, across midnight.
    for n, cadre in enumerate(crowd_cadres[4:10]):
        add(users[31], cadre, MIDNIGHT + dt.timedelta(minutes=10 * n - 20))
    # The day, and the hour before it, on a grid of 5 minutes: ties, and windows
    # that end exactly on a review.
    for _ in range(900):
        moment = MIDNIGHT + dt.timedelta(minutes=5 * rng.randint(-12, 12 * 24 - 1))
        add(rng.choice(users), rng.choice(cadres), moment)
    # Excluded reviews count for nothing.
    for _ in range(40):
        moment = MIDNIGHT + dt.timedelta(minutes=5 * rng.randint(0, 12 * 24 - 1))
        add(rng.choice(users), rng.choice(cadres), moment, excluded=Exclusion.FRAUD)
    # The lone cadre, reviewed mostly by three accounts over the last month.
    for days in range(25):
        for user in users[4:7]:
            add(user, lone, MIDNIGHT - dt.timedelta(days=days, hours=-3))
    add(users[8], lone, MIDNIGHT + dt.timedelta(hours=5))
    Review.objects.bulk_create(rows)
    return rows


def test_the_sql_scan_flags_what_the_python_rules_flag(mixed_day):
    fraud.flags_add(fraud_reference.day_flags(day=DAY, now=NOW), recount=True)
    python = snapshot()
    ReviewFlag.objects.all().delete()
    fraud.day_flags_add(day=DAY, now=NOW)
    sql = snapshot()
    assert sql == python
    # The day trips every rule the scan computes, so the comparison covers each.
    rules = {rule for _review, rule, *_rest in sql}
    assert rules >= {
        FlagRule.BURST,
        FlagRule.DEVICE,
        FlagRule.ADDRESS,
        FlagRule.ACCOUNT,
        FlagRule.ACCOUNT_DEVICES,
        FlagRule.ADDRESS_DEVICES,
        FlagRule.UNIT_SWEEP,
        FlagRule.FEW_ACCOUNTS,
    }, rules
    # Run again: nothing changes.
    fraud.day_flags_add(day=DAY, now=NOW + dt.timedelta(hours=1))
    assert snapshot() == sql


def test_an_address_flag_counted_at_submission_keeps_the_larger_count(mixed_day):
    fraud.day_flags_add(day=DAY, now=NOW)
    address = ReviewFlag.objects.filter(rule=FlagRule.ADDRESS).order_by("pk").first()
    assert address is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cadres_reviewflag SET reviews = 1, detail = %s WHERE id = %s",
            [json.dumps({"cadres": 1, "minutes": 60}), address.pk],
        )
    fraud.day_flags_add(day=DAY, now=NOW)
    address.refresh_from_db()
    fraud.flags_add(fraud_reference.day_flags(day=DAY, now=NOW), recount=True)
    again = ReviewFlag.objects.get(pk=address.pk)
    assert (address.reviews, address.detail) == (again.reviews, again.detail)
    assert address.reviews > 1
