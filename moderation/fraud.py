"""Fraud signals on cadre reviews: the rules, with their thresholds in settings (FRAUD_*).

Layer: moderation (reads cadres' and accounts' tables; writes only ReviewFlag rows). A
rule never drops a review: it flags it for a rating_moderator
(moderation.admin.ReviewFlagAdmin), who excludes or clears it through
moderation.services. The one exception is a colleague's review, which is refused at
submission and excluded when found later.

- At submission (cadres.services.review_create, same transaction, through the submission
  check registered in ModerationConfig.ready(): cadres.hooks): a burst of reviews of one
  cadre by accounts created that day; one device, one address or one account reviewing
  many cadres within a window; one account or one address presenting many devices (a
  device is a token the server signed, core.devices: an id the client made up is no
  device); and a review by an account whose phone no SMS has confirmed (made at a desk
  from an ID check alone), held out of the rankings until a moderator decides it. On PostgreSQL the counts come back with the review's INSERT
  (`SUBMISSION_COUNTS_SQL` in its RETURNING), so a review that trips nothing costs no
  statement more; a flagged one costs one (the flags' INSERT).
- Nightly (reviews_fraud_scan, beat at 02:30): the same rules over the whole day (the
  reviews of a burst before its threshold get flagged too), a reviewer rating every
  cadre of a unit 1 or 2 in a day, a cadre whose reviews come mostly from a few
  accounts, and colleagues (excluded).

Flags hold counts only (`detail`): never who, nor which device or address. Devices and
addresses are stored as keyed hashes (HMAC-SHA256 with SECRET_KEY), never as sent.
See docs/review-fraud.md.
"""

import datetime as dt
import json
from collections import Counter

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q

from accounts.models import User
from cadres.models import Cadre, Exclusion, Review
from core.months import next_month
from core.timezones import LOCAL_TZ

from . import selectors
from .models import FlagRule, ReviewFlag

HOUR = dt.timedelta(hours=1)


def local_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


# --- At submission ---------------------------------------------------------------------

# Six scalar subqueries over the reviews before this one (the new row is left out by
# its reviewer, who has one review of the cadre a day, or by its cadre, or by its own
# device): the burst's reviews by accounts created today; the other cadres the device,
# the address and the account reviewed within their windows; the other devices the
# account and the address presented within theirs. PostgreSQL evaluates them in the
# INSERT's RETURNING against the statement's snapshot.
#
# Each reads at most FRAUD_SCAN_ROWS rows, newest first, so a review costs the same on a
# busy day as on a quiet one: a carrier's NAT puts thousands of residents behind one
# address, and counting all its reviews of the hour at every review grows with the
# square of the traffic. The burst's count stops at that many (more says nothing more),
# and the other counts are those of the latest reviews of the window. The burst is
# counted only for an account created today (None otherwise). The nightly pass counts
# the whole day.
_REVIEW = connection.ops.quote_name(Review._meta.db_table)
_USER = connection.ops.quote_name(User._meta.db_table)
SUBMISSION_COUNTS_SQL = f"""(SELECT CASE WHEN EXISTS (
        SELECT 1 FROM {_USER} me
        WHERE me.id = %s AND me.date_joined >= %s AND me.date_joined < %s)
    THEN (SELECT count(*) FROM (
        SELECT 1 FROM {_REVIEW} r JOIN {_USER} u ON u.id = r.reviewer_id
        WHERE r.cadre_id = %s AND r.created_at >= %s AND u.date_joined >= %s
              AND r.reviewer_id <> %s
        ORDER BY r.created_at DESC LIMIT %s) burst) END),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM {_REVIEW}
        WHERE device_hash = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) device WHERE cadre_id <> %s),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM {_REVIEW}
        WHERE address_hash = %s AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) address WHERE cadre_id <> %s),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM {_REVIEW}
        WHERE reviewer_id = %s AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) account WHERE cadre_id <> %s),
    (SELECT count(DISTINCT device_hash) FROM (
        SELECT device_hash FROM {_REVIEW}
        WHERE reviewer_id = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) account_devices WHERE device_hash <> %s),
    (SELECT count(DISTINCT device_hash) FROM (
        SELECT device_hash FROM {_REVIEW}
        WHERE address_hash = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) address_devices WHERE device_hash <> %s)"""  # noqa: S608


def submission_counts_params(review: Review) -> list:
    """The parameters of SUBMISSION_COUNTS_SQL, times as the database stores them."""
    moment = connection.ops.adapt_datetimefield_value
    now = review.created_at
    burst_since = moment(now - dt.timedelta(minutes=settings.FRAUD_BURST_MINUTES))
    hour_ago = moment(now - HOUR)
    day_start = moment(local_day_start(review.local_date))
    account_since = moment(now - dt.timedelta(minutes=settings.FRAUD_ACCOUNT_MINUTES))
    devices_since = moment(now - dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES))
    rows = settings.FRAUD_SCAN_ROWS
    device = review.device_hash or "-"  # never equal to a stored hash
    return [
        review.reviewer_id,
        day_start,
        moment(local_day_start(review.local_date + dt.timedelta(days=1))),
        review.cadre_id,
        burst_since,
        day_start,
        review.reviewer_id,
        rows,
        device,
        hour_ago,
        rows,
        review.cadre_id,
        review.address_hash or "-",
        hour_ago,
        rows,
        review.cadre_id,
        review.reviewer_id,
        account_since,
        rows,
        review.cadre_id,
        review.reviewer_id,
        devices_since,
        rows,
        device,
        review.address_hash or "-",
        devices_since,
        rows,
        device,
    ]


# The values SUBMISSION_COUNTS_SQL returns, in order.
SUBMISSION_COLUMNS = (
    "burst",
    "device_cadres",
    "address_cadres",
    "account_cadres",
    "account_devices",
    "address_devices",
)


def submission_flags(*, review: Review, counts) -> list[ReviewFlag]:
    """The flags the cheap rules put on a new review, from the counts of the others (the
    burst's is None unless the reviewer's account was created that day)."""
    burst, device_cadres, address_cadres, account_cadres, account_devices, address_devices = counts
    own_device = 1 if review.device_hash else 0
    devices_minutes = settings.FRAUD_DEVICES_MINUTES
    flags = []
    if burst is not None and burst + 1 >= settings.FRAUD_BURST_REVIEWS:
        flags.append(
            (FlagRule.BURST, {"reviews": burst + 1, "minutes": settings.FRAUD_BURST_MINUTES})
        )
    if review.device_hash and device_cadres + 1 >= settings.FRAUD_DEVICE_CADRES_PER_HOUR:
        flags.append((FlagRule.DEVICE, {"cadres": device_cadres + 1, "minutes": 60}))
    if account_cadres + 1 >= settings.FRAUD_ACCOUNT_CADRES:
        flags.append(
            (
                FlagRule.ACCOUNT,
                {"cadres": account_cadres + 1, "minutes": settings.FRAUD_ACCOUNT_MINUTES},
            )
        )
    if account_devices + own_device >= settings.FRAUD_ACCOUNT_DEVICES:
        flags.append(
            (
                FlagRule.ACCOUNT_DEVICES,
                {"devices": account_devices + own_device, "minutes": devices_minutes},
            )
        )
    if review.address_hash and address_devices + own_device >= settings.FRAUD_ADDRESS_DEVICES:
        flags.append(
            (
                FlagRule.ADDRESS_DEVICES,
                {"devices": address_devices + own_device, "minutes": devices_minutes},
            )
        )
    if review.excluded_reason == Exclusion.UNCONFIRMED:
        flags.append((FlagRule.UNCONFIRMED, {}))
    # The address is a weak signal: a district office's NAT or a carrier's CGNAT puts
    # many honest residents behind one. It counts only with a signal of the account or
    # device beside it (an account created today, the burst's ground; the device or the
    # account's devices rule tripped), and then as one flag per address and hour.
    combined = burst is not None or any(
        rule in {FlagRule.BURST, FlagRule.DEVICE, FlagRule.ACCOUNT_DEVICES} for rule, _ in flags
    )
    if (
        review.address_hash
        and combined
        and address_cadres + 1 >= settings.FRAUD_ADDRESS_CADRES_PER_HOUR
    ):
        flags.append((FlagRule.ADDRESS, {"cadres": address_cadres + 1, "minutes": 60}))
    return [
        address_flag(review.pk, review.address_hash, review.created_at, detail, review.created_at)
        if rule == FlagRule.ADDRESS
        else ReviewFlag(review_id=review.pk, rule=rule, detail=detail, created_at=review.created_at)
        for rule, detail in flags
    ]


def address_flag(
    review_id: int, address: str, moment: dt.datetime, detail: dict, now: dt.datetime, reviews=1
) -> ReviewFlag:
    """The address rule's flag of `address` for the hour of `moment` (its first review)."""
    return ReviewFlag(
        review_id=review_id,
        rule=FlagRule.ADDRESS,
        detail=detail,
        created_at=now,
        address_hash=address,
        hour=moment.replace(minute=0, second=0, microsecond=0),
        reviews=reviews,
    )


def submission_flags_add(review: Review, counts: tuple) -> None:
    """A new review's flags, inside its transaction (cadres.hooks.SubmissionCheck.act)."""
    flags_add(submission_flags(review=review, counts=counts))


def flags_add(flags: list[ReviewFlag], *, recount: bool = False) -> None:
    """Insert flags; one already there for the same review and rule stays as it is. An
    address flag whose address and hour have one already counts into it instead: one
    review more at submission, or (`recount`, the nightly pass, which counts the whole
    hour) the larger of the two counts."""
    per_review = [flag for flag in flags if flag.hour is None]
    if per_review:
        ReviewFlag.objects.bulk_create(per_review, ignore_conflicts=True)
    with connection.cursor() as cursor:
        for flag in flags:
            if flag.hour is None:
                continue
            if recount:
                cursor.execute(ADDRESS_FLAG_RECOUNT_SQL, address_flag_params(flag))
            else:
                cursor.execute(ADDRESS_FLAG_COUNT_SQL, address_flag_params(flag))


_FLAG = connection.ops.quote_name(ReviewFlag._meta.db_table)
_ADDRESS_FLAG_INSERT = f"""INSERT INTO {_FLAG} AS flag
    (review_id, rule, detail, created_at, state, decision_reason, points_taken_back,
     points_shortfall, address_hash, hour, reviews)
VALUES (%s, %s, %s, %s, 'open', '', 0, 0, %s, %s, %s)
ON CONFLICT (rule, address_hash, hour) DO UPDATE SET"""  # noqa: S608
# One more review of an address and hour already flagged (at submission).
ADDRESS_FLAG_COUNT_SQL = f"""{_ADDRESS_FLAG_INSERT}
    reviews = flag.reviews + 1,
    detail = CASE WHEN (EXCLUDED.detail ->> 'cadres')::int > (flag.detail ->> 'cadres')::int
                  THEN EXCLUDED.detail ELSE flag.detail END"""
# The nightly count of the whole hour, kept when larger than the one counted so far.
ADDRESS_FLAG_RECOUNT_SQL = f"""{_ADDRESS_FLAG_INSERT}
    reviews = GREATEST(flag.reviews, EXCLUDED.reviews),
    detail = CASE WHEN (EXCLUDED.detail ->> 'cadres')::int > (flag.detail ->> 'cadres')::int
                  THEN EXCLUDED.detail ELSE flag.detail END"""


def address_flag_params(flag: ReviewFlag) -> list:
    moment = connection.ops.adapt_datetimefield_value
    return [
        flag.review_id,
        FlagRule.ADDRESS.value,
        json.dumps(flag.detail),
        moment(flag.created_at),
        flag.address_hash,
        moment(flag.hour),
        flag.reviews,
    ]


# --- Nightly ---------------------------------------------------------------------------


def appeals_most_flags(*, day: dt.date, now: dt.datetime) -> list[ReviewFlag]:
    """A cadre who appealed more than half of its bad reviews of `day`'s month
    (selectors.cadres_appealing_most): appealing as a habit is itself a signal, so each
    appealed review of that month goes to the moderators, who see the pattern whole."""
    month = day.replace(day=1)
    cadre_ids = selectors.cadres_appealing_most(month=month)
    if not cadre_ids:
        return []
    in_month = Q(local_date__gte=month, local_date__lt=next_month(month))
    appealed = (
        Review.objects.filter(in_month, cadre_id__in=cadre_ids, appeal__isnull=False)
        .order_by("pk")
        .values_list("pk", "cadre_id")
    )
    bad = dict(
        Review.objects.filter(in_month, cadre_id__in=cadre_ids, rating__lte=2)
        .order_by()
        .values("cadre_id")
        .annotate(n=Count("id"))
        .values_list("cadre_id", "n")
    )
    rows = list(appealed)
    per_cadre = Counter(cadre_id for _pk, cadre_id in rows)
    return [
        ReviewFlag(
            review_id=pk,
            rule=FlagRule.APPEALS_MOST,
            detail={"appealed": per_cadre[cadre_id], "bad_reviews": bad.get(cadre_id, 0)},
            created_at=now,
        )
        for pk, cadre_id in rows
    ]


def colleague_review_ids() -> list[int]:
    """Counted reviews whose reviewer is now a cadre or staff (UnitMembership) of the
    reviewed cadre's unit."""
    # Two inner joins, each driven by its small table (memberships, linked cadres),
    # rather than one OR over the whole review table.
    counted = Review.objects.filter(excluded_reason="")
    staff = counted.filter(reviewer__unit_memberships__unit_id=F("cadre__unit_id"))
    cadres = counted.filter(reviewer__cadre__unit_id=F("cadre__unit_id"))
    found = set(staff.values_list("pk", flat=True)) | set(cadres.values_list("pk", flat=True))
    return sorted(found)


# --- Nightly, in SQL (reviews_fraud_scan) ------------------------------------------------

_CADRE = connection.ops.quote_name(Cadre._meta.db_table)


def _window_cte(name: str, *, key: str, counted: str, span: str, threshold: str, only="") -> str:
    """Two CTEs of the scan: `<name>_anchors`, each review (of a source `key`) whose
    window (the source's reviews of the `span` before it, itself included, in the order
    (created_at, id)) counts `counted` at least `threshold` times; `<name>`, every review
    in such a window with the largest count of the windows it is in. `only`: a condition
    on both ends (the burst's accounts created that day). As `_windows` and
    `_same_source_flags` do it in Python."""
    window = f"""w.{key} = a.{key} AND w.created_at > a.created_at - %({span})s
        AND (w.created_at, w.id) <= (a.created_at, a.id)"""
    a_only = only.format(t="a")
    w_only = only.format(t="w")
    return f"""{name}_anchors AS (
    SELECT a.id, a.{key}, a.created_at, {counted} AS found
    FROM r a JOIN r w ON {window} {w_only}
    WHERE a.{key} IS NOT NULL {a_only}
    GROUP BY a.id, a.{key}, a.created_at
    HAVING {counted} >= %({threshold})s
),
{name} AS (
    SELECT w.id, MAX(a.found) AS n FROM {name}_anchors a JOIN r w ON {window} {w_only}
    GROUP BY w.id
)"""  # noqa: S608


# Every rule but the colleague and appeals ones over the reviews of a day (and the
# longest window before it), flags inserted in the same statement: those of one review
# and rule once (a flag already there stays), the address rule's one per address and
# hour (the larger count kept, as ADDRESS_FLAG_RECOUNT_SQL). Same rules, same results as
# the Python rules of tests/moderation/fraud_reference.py (test_fraud_scan_sql.py).
DAY_FLAGS_SQL = f"""
WITH r AS MATERIALIZED (
    SELECT v.id, v.cadre_id, c.unit_id, v.reviewer_id, v.rating, v.created_at, v.local_date,
           (u.date_joined AT TIME ZONE %(tz)s)::date AS joined,
           NULLIF(v.device_hash, '') AS device, NULLIF(v.address_hash, '') AS address
    FROM {_REVIEW} v JOIN {_CADRE} c ON c.id = v.cadre_id JOIN {_USER} u ON u.id = v.reviewer_id
    WHERE v.created_at >= %(start)s AND v.created_at < %(end)s AND v.excluded_reason = ''
),
{
    _window_cte(
        "burst",
        key="cadre_id",
        counted="COUNT(*)",
        span="burst_span",
        threshold="burst_reviews",
        only="AND {t}.joined = {t}.local_date",
    )
},
{
    _window_cte(
        "device",
        key="device",
        counted="COUNT(DISTINCT w.cadre_id)",
        span="hour",
        threshold="device_cadres",
    )
},
{
    _window_cte(
        "account_devices",
        key="reviewer_id",
        counted="COUNT(DISTINCT w.device)",
        span="devices_span",
        threshold="account_devices",
    )
},
{
    _window_cte(
        "account",
        key="reviewer_id",
        counted="COUNT(DISTINCT w.cadre_id)",
        span="account_span",
        threshold="account_cadres",
    )
},
{
    _window_cte(
        "address_devices",
        key="address",
        counted="COUNT(DISTINCT w.device)",
        span="devices_span",
        threshold="address_devices",
    )
},
{
    _window_cte(
        "address_windows",
        key="address",
        counted="COUNT(DISTINCT w.cadre_id)",
        span="hour",
        threshold="address_cadres",
    )
},
combined AS (
    SELECT id FROM burst UNION SELECT id FROM device UNION SELECT id FROM account_devices
),
address_hours AS (
    SELECT w.address, date_trunc('hour', w.created_at) AS hour,
           (array_agg(w.id ORDER BY w.created_at, w.id))[1] AS first,
           COUNT(*) AS reviews, MAX(a.n) AS cadres
    FROM address_windows a JOIN r w ON w.id = a.id
    WHERE w.joined = w.local_date OR w.id IN (SELECT id FROM combined)
    GROUP BY w.address, date_trunc('hour', w.created_at)
),
sweep_groups AS (
    SELECT b.reviewer_id, b.unit_id, active.n
    FROM r b
    JOIN {_CADRE} c ON c.id = b.cadre_id
    JOIN (SELECT unit_id, COUNT(*) AS n FROM {_CADRE} WHERE active GROUP BY unit_id
          HAVING COUNT(*) >= %(sweep_cadres)s) active ON active.unit_id = b.unit_id
    WHERE b.local_date = %(day)s AND b.rating <= 2
    GROUP BY b.reviewer_id, b.unit_id, active.n
    HAVING COUNT(DISTINCT b.cadre_id) FILTER (WHERE c.active) = active.n
),
sweep AS (
    SELECT b.id, g.n FROM r b JOIN sweep_groups g
        ON g.reviewer_id = b.reviewer_id AND g.unit_id = b.unit_id
    WHERE b.local_date = %(day)s AND b.rating <= 2
),
per_account AS (
    SELECT cadre_id, reviewer_id, COUNT(*) AS n FROM {_REVIEW}
    WHERE local_date >= %(few_start)s AND local_date <= %(day)s AND excluded_reason = ''
    GROUP BY cadre_id, reviewer_id
),
ranked AS (
    SELECT cadre_id, reviewer_id, n, SUM(n) OVER (PARTITION BY cadre_id)::bigint AS total,
           row_number() OVER (PARTITION BY cadre_id ORDER BY n DESC, reviewer_id) AS place
    FROM per_account
),
leaders AS (
    SELECT cadre_id, MAX(total) AS total, COUNT(*) AS accounts, SUM(n)::bigint AS share
    FROM ranked WHERE place <= %(few_count)s GROUP BY cadre_id
    HAVING MAX(total) >= %(few_reviews)s AND SUM(n) * 100 >= %(few_share)s * MAX(total)
),
few AS (
    SELECT v.id, l.total, l.accounts, l.share * 100 / l.total AS percent
    FROM leaders l
    JOIN ranked k ON k.cadre_id = l.cadre_id AND k.place <= %(few_count)s
    JOIN {_REVIEW} v ON v.cadre_id = k.cadre_id AND v.reviewer_id = k.reviewer_id
    WHERE v.local_date >= %(few_start)s AND v.local_date <= %(day)s AND v.excluded_reason = ''
),
per_review (review_id, rule, detail) AS (
    SELECT id, 'burst', jsonb_build_object('reviews', n, 'minutes', %(burst_minutes)s) FROM burst
    UNION ALL
    SELECT id, 'device', jsonb_build_object('cadres', n, 'minutes', 60) FROM device
    UNION ALL
    SELECT id, 'account_devices',
           jsonb_build_object('devices', n, 'minutes', %(devices_minutes)s)
    FROM account_devices
    UNION ALL
    SELECT id, 'account', jsonb_build_object('cadres', n, 'minutes', %(account_minutes)s)
    FROM account
    UNION ALL
    SELECT id, 'address_devices',
           jsonb_build_object('devices', n, 'minutes', %(devices_minutes)s)
    FROM address_devices
    UNION ALL
    SELECT id, 'unit_sweep', jsonb_build_object('cadres', n) FROM sweep
    UNION ALL
    SELECT id, 'few_accounts',
           jsonb_build_object('reviews', total, 'accounts', accounts, 'share_percent', percent)
    FROM few
),
per_review_added AS (
    INSERT INTO {_FLAG} (review_id, rule, detail, created_at, state, decision_reason,
                         points_taken_back, points_shortfall, address_hash, hour, reviews)
    SELECT review_id, rule, detail, %(now)s, 'open', '', 0, 0, '', NULL, 1 FROM per_review
    ORDER BY review_id, rule
    ON CONFLICT DO NOTHING
    RETURNING 1
),
address_added AS (
    INSERT INTO {_FLAG} AS flag (review_id, rule, detail, created_at, state, decision_reason,
                                 points_taken_back, points_shortfall, address_hash, hour, reviews)
    SELECT first, 'address', jsonb_build_object('cadres', cadres, 'minutes', 60), %(now)s,
           'open', '', 0, 0, address, hour, reviews
    FROM address_hours ORDER BY address, hour
    ON CONFLICT (rule, address_hash, hour) DO UPDATE SET
    reviews = GREATEST(flag.reviews, EXCLUDED.reviews),
    detail = CASE WHEN (EXCLUDED.detail ->> 'cadres')::int > (flag.detail ->> 'cadres')::int
                  THEN EXCLUDED.detail ELSE flag.detail END
    RETURNING xmax = 0 AS inserted
)
SELECT (SELECT COUNT(*) FROM per_review_added)
       + (SELECT COUNT(*) FROM address_added WHERE inserted)
"""  # noqa: S608


def day_flags_params(*, day: dt.date, now: dt.datetime) -> dict:
    start = local_day_start(day)
    before = max(
        HOUR,
        dt.timedelta(minutes=settings.FRAUD_ACCOUNT_MINUTES),
        dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES),
    )
    return {
        "tz": str(LOCAL_TZ),
        "start": start - before,
        "end": start + dt.timedelta(days=1),
        "day": day,
        "now": now,
        "hour": HOUR,
        "burst_span": dt.timedelta(minutes=settings.FRAUD_BURST_MINUTES),
        "burst_minutes": settings.FRAUD_BURST_MINUTES,
        "burst_reviews": settings.FRAUD_BURST_REVIEWS,
        "device_cadres": settings.FRAUD_DEVICE_CADRES_PER_HOUR,
        "address_cadres": settings.FRAUD_ADDRESS_CADRES_PER_HOUR,
        "devices_span": dt.timedelta(minutes=settings.FRAUD_DEVICES_MINUTES),
        "devices_minutes": settings.FRAUD_DEVICES_MINUTES,
        "account_devices": settings.FRAUD_ACCOUNT_DEVICES,
        "address_devices": settings.FRAUD_ADDRESS_DEVICES,
        "account_span": dt.timedelta(minutes=settings.FRAUD_ACCOUNT_MINUTES),
        "account_minutes": settings.FRAUD_ACCOUNT_MINUTES,
        "account_cadres": settings.FRAUD_ACCOUNT_CADRES,
        "sweep_cadres": settings.FRAUD_UNIT_SWEEP_MIN_CADRES,
        "few_start": day - dt.timedelta(days=settings.FRAUD_FEW_ACCOUNTS_DAYS - 1),
        "few_count": settings.FRAUD_FEW_ACCOUNTS_COUNT,
        "few_reviews": settings.FRAUD_FEW_ACCOUNTS_MIN_REVIEWS,
        "few_share": settings.FRAUD_FEW_ACCOUNTS_SHARE,
    }


def day_flags_add(*, day: dt.date, now: dt.datetime) -> int:
    """The nightly pass's flags of `day` (Asia/Shanghai): `DAY_FLAGS_SQL`, one statement
    for every rule over the day's reviews, then the appeals rule (a few cadres' reviews of
    the month, from selectors.cadres_appealing_most). Returns how many flags were added
    (an address flag counted into one already there is none); the statement says how many
    it inserted (`xmax = 0`: a row the upsert inserted, not updated), so the flags table,
    which grows night after night, is never counted whole."""
    with connection.cursor() as cursor:
        cursor.execute(DAY_FLAGS_SQL, day_flags_params(day=day, now=now))
        (added,) = cursor.fetchone()
    appeals = appeals_most_flags(day=day, now=now)
    if appeals:
        before = ReviewFlag.objects.filter(rule=FlagRule.APPEALS_MOST).count()
        flags_add(appeals)
        added += ReviewFlag.objects.filter(rule=FlagRule.APPEALS_MOST).count() - before
    return added
