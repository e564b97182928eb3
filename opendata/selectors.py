"""Reads of the open data: published months and their versions, and stall counts.

Ranking entries are read through `cadres.selectors` only, so the open data follows
whatever shape the entries are stored in; the figures and digests are the published ones.
"""

import dataclasses
import datetime as dt
import hashlib

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.months import next_month, parse_month
from core.timezones import LOCAL_TZ
from rankings import diffs as rankings_diffs
from rankings import selectors as rankings_selectors
from rankings.models import RankingMonth
from stalls.models import Inspection, Registration, Site, StallReport, StallStatusChange

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclasses.dataclass(frozen=True)
class Version:
    """One publication of a month: version 1 is the original, later ones corrections."""

    ranking: RankingMonth
    number: int
    digest: str
    previous_digest: str
    published_at: dt.datetime

    @property
    def month(self) -> str:
        return self.ranking.label

    @property
    def json_path(self) -> str:
        """Relative to /open/: stable, and what the index and the feed point at."""
        return f"rankings/{self.month}/v{self.number}.json"

    @property
    def csv_path(self) -> str:
        return f"rankings/{self.month}/v{self.number}.csv"


def month_versions(*, ranking: RankingMonth) -> list[Version]:
    """The versions of a published month, oldest first: version 1 as published on the
    4th, then each correction, chained to the version before it."""
    if ranking.published_at is None:
        return []
    return [
        Version(
            ranking=version,
            number=version.version,
            digest=version.digest,
            previous_digest=version.previous_digest,
            published_at=version.published_at,
        )
        for version in rankings_selectors.month_versions(month=ranking.month)
        if version.published_at is not None  # always, being published (typed for mypy)
    ]


def published_versions() -> list[Version]:
    """Every version of every published month, by month then version."""
    versions = []
    for ranking in reversed(list(rankings_selectors.published_months())):
        versions.extend(month_versions(ranking=ranking))
    return versions


def stall_month_parse(text: str) -> dt.date | None:
    """`YYYY-MM` to its first day, for months whose end is a date (years up to 2999)."""
    first_day = parse_month(text)
    return first_day if first_day and first_day.year <= 2999 else None


def version_get(*, month: str, number: int) -> Version | None:
    first_day = parse_month(month)
    ranking = rankings_selectors.published_month(month=first_day) if first_day else None
    if ranking is None:
        return None
    return next((v for v in month_versions(ranking=ranking) if v.number == number), None)


def version_entries(*, version: Version) -> list[dict]:
    return rankings_selectors.ranking_digest_records(ranking=version.ranking)


def version_changes(*, version: Version) -> list[dict]:
    """What a correction changed against the version it replaces, entry by entry (counts
    only, never who wrote a review); [] for version 1."""
    return [change.to_json() for change in rankings_diffs.stored(version.ranking)]


def version_excluded_by_ground(*, version: Version) -> dict[str, int]:
    """The reviews a version excluded since the one it replaces, by ground."""
    return rankings_diffs.excluded_by_ground(rankings_diffs.stored(version.ranking))


def versions_etag(versions: list[Version]) -> str:
    """Changes whenever a version is added (its digest is new)."""
    text = ",".join(f"{v.month}/{v.number}/{v.digest}" for v in versions)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def versions_last_modified(versions: list[Version]) -> dt.datetime | None:
    return max((v.published_at for v in versions), default=None)


def local_iso(moment: dt.datetime) -> str:
    """A time as the API writes it: Asia/Shanghai with its offset (`...+08:00`)."""
    return timezone.localtime(moment, LOCAL_TZ).isoformat()


def index_body(versions: list[Version]) -> dict:
    """index.json: the months and their versions, for the verifier and for people."""
    months: dict[str, list] = {}
    for v in versions:
        months.setdefault(v.month, []).append(
            {
                "version": v.number,
                "published_at": local_iso(v.published_at),
                "digest": v.digest,
                "previous_digest": v.previous_digest,
                "json": v.json_path,
                "csv": v.csv_path,
            }
        )
    return {
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        # verified_share from the months published with service tickets on (each file's
        # own "entry_fields" names its values; datapackage.json types them).
        "entry_fields": list(rankings_selectors.VERIFIED_DIGEST_FIELDS),
        "months": [{"month": month, "versions": items} for month, items in sorted(months.items())],
    }


# --- Stall supervision, in aggregate -----------------------------------------------------

STALL_COUNTS = ("registrations", "inspections", "violations", "suspensions", "reports")
# A row of the stall counts, in the CSV's order (the JSON's keys are the same).
STALL_COLUMNS = ("month", "site_id", "site_name", *STALL_COUNTS)


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Asia/Shanghai month as an aware [start, end) range."""
    start = dt.datetime.combine(month, dt.time(), tzinfo=LOCAL_TZ)
    end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=LOCAL_TZ)
    return start, end


def stall_counts(*, month: dt.date) -> list[dict]:
    """Per site: what happened in the month (Asia/Shanghai). Counts only, no person's data.
    Flat rows (`site_id`, `site_name`), the same in the JSON, the CSV and the API."""
    start, end = _month_bounds(month)

    def per_site(queryset, site_field: str, time_field: str) -> dict[int, int]:
        rows = (
            queryset.filter(**{f"{time_field}__gte": start, f"{time_field}__lt": end})
            .values(site_field)
            .annotate(n=Count("pk"))
            .values_list(site_field, "n")
        )
        return dict(rows)

    counts = {
        "registrations": per_site(Registration.objects.all(), "site_id", "created_at"),
        "inspections": per_site(Inspection.objects.all(), "stall__site_id", "inspected_at"),
        "violations": per_site(
            Inspection.objects.filter(result=Inspection.Result.VIOLATION),
            "stall__site_id",
            "inspected_at",
        ),
        "suspensions": per_site(
            StallStatusChange.objects.filter(new_status="suspended"),
            "stall__site_id",
            "created_at",
        ),
        "reports": per_site(StallReport.objects.all(), "stall__site_id", "created_at"),
    }
    return [
        {"month": month.strftime("%Y-%m"), "site_id": site.pk, "site_name": site.name}
        | {name: counts[name].get(site.pk, 0) for name in STALL_COUNTS}
        for site in Site.objects.order_by("pk").only("pk", "name")
    ]


def stall_months() -> list[str]:
    """Months (Asia/Shanghai) with any registration, newest first: the page's list."""
    months = (
        Registration.objects.annotate(m=TruncMonth("created_at", tzinfo=LOCAL_TZ))
        .values_list("m", flat=True)
        .distinct()
    )
    return sorted({m.strftime("%Y-%m") for m in months if m}, reverse=True)
