"""The nightly scan's rules written in Python, row by row: the reference the one SQL
statement of the nightly scan (moderation.fraud.DAY_FLAGS_SQL, day_flags_add) is checked
against (tests/moderation/test_fraud_scan_sql.py). They were the scan itself before the
statement; they stay here, where they check it, and nowhere in the running code."""

import datetime as dt
from collections import Counter, defaultdict, deque
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from cadres.models import Cadre, Review
from core.timezones import LOCAL_TZ
from moderation.fraud import HOUR, address_flag, appeals_most_flags, local_day_start
from moderation.models import FlagRule, ReviewFlag


@dataclass(frozen=True)
class Row:
    id: int
    cadre_id: int
    unit_id: int
    reviewer_id: int
    rating: int
    created_at: dt.datetime
    local_date: dt.date
    joined: dt.date
    device: str
    address: str


def _rows(start: dt.datetime, end: dt.datetime) -> list[Row]:
    rows = (
        Review.objects.filter(created_at__gte=start, created_at__lt=end, excluded_reason="")
        .order_by("created_at", "id")
        .values_list(
            "id",
            "cadre_id",
            "cadre__unit_id",
            "reviewer_id",
            "rating",
            "created_at",
            "local_date",
            "reviewer__date_joined",
            "device_hash",
            "address_hash",
        )
    )
    return [
        Row(*row[:7], timezone.localtime(row[7], LOCAL_TZ).date(), row[8], row[9]) for row in rows
    ]


def _windows(rows: list[Row], span: dt.timedelta):
    """For each row in time order, the rows within `span` before it (itself included)."""
    window: deque[Row] = deque()
    for row in rows:
        window.append(row)
        while window[0].created_at <= row.created_at - span:
            window.popleft()
        yield window


def burst_flags(rows: list[Row], now: dt.datetime) -> list[ReviewFlag]:
    minutes = settings.FRAUD_BURST_MINUTES
    by_cadre = defaultdict(list)
    for row in rows:
        if row.joined == row.local_date:
            by_cadre[row.cadre_id].append(row)
    flagged: dict[int, int] = {}
    for cadre_rows in by_cadre.values():
        for window in _windows(cadre_rows, dt.timedelta(minutes=minutes)):
            if len(window) >= settings.FRAUD_BURST_REVIEWS:
                for row in window:
                    flagged[row.id] = max(flagged.get(row.id, 0), len(window))
    return [
        ReviewFlag(
            review_id=pk,
            rule=FlagRule.BURST,
            detail={"reviews": n, "minutes": minutes},
            created_at=now,
        )
        for pk, n in flagged.items()
    ]


def _same_source_flags(
    rows, now, *, key, rule, threshold, span=HOUR, counted=None
) -> list[ReviewFlag]:
    """The reviews of one source (a device, an address, an account) in any window of
    `span` where it reviewed `threshold` different cadres (or presented that many
    different devices, with `counted` the row's device)."""
    name = "cadres" if counted is None else "devices"
    counted = counted or (lambda row: row.cadre_id)
    by_source = defaultdict(list)
    for row in rows:
        if key(row):
            by_source[key(row)].append(row)
    flagged: dict[int, int] = {}
    for source_rows in by_source.values():
        for window in _windows(source_rows, span):
            found = len({counted(row) for row in window if counted(row)})
            if found >= threshold:
                for row in window:
                    flagged[row.id] = max(flagged.get(row.id, 0), found)
    minutes = int(span.total_seconds() // 60)
    return [
        ReviewFlag(review_id=pk, rule=rule, detail={name: n, "minutes": minutes}, created_at=now)
        for pk, n in flagged.items()
    ]


def address_hour_flags(rows: list[Row], now: dt.datetime, *, combined: set) -> list[ReviewFlag]:
    """The address rule over a day: the reviews of one address in a window of an hour
    where it reviewed FRAUD_ADDRESS_CADRES_PER_HOUR different cadres count when the
    account or device gives a signal beside it (an account created that day, or a
    review in `combined`, flagged by the burst, device or account's devices rule); one
    flag per address and hour, on its first such review, with how many it covers."""
    by_source = defaultdict(list)
    for row in rows:
        if row.address:
            by_source[row.address].append(row)
    hours: dict[tuple[str, dt.datetime], dict] = {}
    for source_rows in by_source.values():
        for window in _windows(source_rows, HOUR):
            found = len({row.cadre_id for row in window})
            if found < settings.FRAUD_ADDRESS_CADRES_PER_HOUR:
                continue
            for row in window:
                if row.joined != row.local_date and row.id not in combined:
                    continue
                hour = row.created_at.replace(minute=0, second=0, microsecond=0)
                bucket = hours.setdefault(
                    (row.address, hour), {"first": row, "ids": set(), "cadres": 0}
                )
                bucket["ids"].add(row.id)
                bucket["cadres"] = max(bucket["cadres"], found)
                if row.created_at < bucket["first"].created_at:
                    bucket["first"] = row
    return [
        address_flag(
            bucket["first"].id,
            address,
            hour,
            {"cadres": bucket["cadres"], "minutes": 60},
            now,
            reviews=len(bucket["ids"]),
        )
        for (address, hour), bucket in hours.items()
    ]


def unit_sweep_flags(rows: list[Row], now: dt.datetime) -> list[ReviewFlag]:
    """One reviewer rated every active cadre of a unit 1 or 2 on one day."""
    bad = defaultdict(list)
    for row in rows:
        if row.rating <= 2:
            bad[(row.reviewer_id, row.unit_id, row.local_date)].append(row)
    unit_ids = {unit_id for _reviewer, unit_id, _day in bad}
    active = defaultdict(set)
    for pk, unit_id in Cadre.objects.filter(unit_id__in=unit_ids, active=True).values_list(
        "pk", "unit_id"
    ):
        active[unit_id].add(pk)
    flags = []
    for (_reviewer, unit_id, _day), found in bad.items():
        cadres = active[unit_id]
        if len(cadres) < settings.FRAUD_UNIT_SWEEP_MIN_CADRES:
            continue
        if cadres <= {row.cadre_id for row in found}:
            flags += [
                ReviewFlag(
                    review_id=row.id,
                    rule=FlagRule.UNIT_SWEEP,
                    detail={"cadres": len(cadres)},
                    created_at=now,
                )
                for row in found
            ]
    return flags


def few_accounts_flags(*, day: dt.date, now: dt.datetime) -> list[ReviewFlag]:
    """Cadres with at least MIN_REVIEWS counted reviews in the last DAYS days, of which
    the COUNT accounts that wrote most wrote at least SHARE percent: their reviews."""
    start = day - dt.timedelta(days=settings.FRAUD_FEW_ACCOUNTS_DAYS - 1)
    window = Q(local_date__gte=start, local_date__lte=day, excluded_reason="")
    per_account = (
        Review.objects.filter(window)
        .order_by()
        .values("cadre_id", "reviewer_id")
        .annotate(n=Count("id"))
        .values_list("cadre_id", "reviewer_id", "n")
    )
    accounts: defaultdict[int, Counter[int]] = defaultdict(Counter)
    for cadre_id, reviewer_id, n in per_account:
        accounts[cadre_id][reviewer_id] = n
    top = settings.FRAUD_FEW_ACCOUNTS_COUNT
    suspects: dict[int, tuple[set, dict]] = {}
    for cadre_id, counter in accounts.items():
        total = sum(counter.values())
        if total < settings.FRAUD_FEW_ACCOUNTS_MIN_REVIEWS:
            continue
        leaders = counter.most_common(top)
        share = sum(n for _reviewer, n in leaders)
        if share * 100 >= settings.FRAUD_FEW_ACCOUNTS_SHARE * total:
            detail = {
                "reviews": total,
                "accounts": len(leaders),
                "share_percent": share * 100 // total,
            }
            suspects[cadre_id] = ({reviewer for reviewer, _n in leaders}, detail)
    flags = []
    if suspects:
        rows = Review.objects.filter(window, cadre_id__in=suspects).values_list(
            "id", "cadre_id", "reviewer_id"
        )
        for pk, cadre_id, reviewer_id in rows:
            reviewers, detail = suspects[cadre_id]
            if reviewer_id in reviewers:
                flags.append(
                    ReviewFlag(
                        review_id=pk, rule=FlagRule.FEW_ACCOUNTS, detail=detail, created_at=now
                    )
                )
    return flags


def day_flags(*, day: dt.date, now: dt.datetime) -> list[ReviewFlag]:
    """Every rule but the colleague one over the reviews of `day` (Asia/Shanghai); the
    longest window before the day is read too, so that windows across midnight are whole."""
    start = local_day_start(day)
    before = max(
        HOUR,
        dt.timedelta(minutes=settings.FRAUD_ACCOUNT_MINUTES),
        dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES),
    )
    rows = _rows(start - before, start + dt.timedelta(days=1))
    device_flags = [
        *burst_flags(rows, now),
        *_same_source_flags(
            rows,
            now,
            key=lambda row: row.device,
            rule=FlagRule.DEVICE,
            threshold=settings.FRAUD_DEVICE_CADRES_PER_HOUR,
        ),
        *_same_source_flags(
            rows,
            now,
            key=lambda row: row.reviewer_id,
            rule=FlagRule.ACCOUNT_DEVICES,
            threshold=settings.FRAUD_ACCOUNT_DEVICES,
            span=dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES),
            counted=lambda row: row.device,
        ),
    ]
    return [
        *device_flags,
        *address_hour_flags(rows, now, combined={flag.review_id for flag in device_flags}),
        *_same_source_flags(
            rows,
            now,
            key=lambda row: row.reviewer_id,
            rule=FlagRule.ACCOUNT,
            threshold=settings.FRAUD_ACCOUNT_CADRES,
            span=dt.timedelta(minutes=settings.FRAUD_ACCOUNT_MINUTES),
        ),
        *_same_source_flags(
            rows,
            now,
            key=lambda row: row.address,
            rule=FlagRule.ADDRESS_DEVICES,
            threshold=settings.FRAUD_ADDRESS_DEVICES,
            span=dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES),
            counted=lambda row: row.device,
        ),
        *unit_sweep_flags([row for row in rows if row.local_date == day], now),
        *few_accounts_flags(day=day, now=now),
        *appeals_most_flags(day=day, now=now),
    ]
