"""A published version compiled again from its own moments, next to what was published:
the proof that a version is its cutoff's snapshot less its exclusions and nothing else
(rankings/cutoff.py). Both sides are formulas.COMPILE_SQL's rows as COPY writes them,
compared as text, sorted (the compile's row order is not its meaning: `position` is)."""

from django.db import connection

from . import formulas, services
from .models import RankingEntry, RankingMonth

# The stored entries of one version, in the compile's columns (services.ENTRY_COLUMNS).
_PUBLISHED_COPY_SQL = (
    f"COPY (SELECT {', '.join(services.ENTRY_COLUMNS)} "  # noqa: S608 (names from the code)
    f"FROM {RankingEntry._meta.db_table} "
    "WHERE ranking_id = %(ranking)s) TO STDOUT"
)


def _lines(data: bytes) -> list[bytes]:
    return sorted(data.splitlines())


def published_rows(ranking: RankingMonth) -> list[bytes]:
    """The version's entries as stored."""
    params = {"ranking": ranking.pk}
    with connection.cursor() as cursor, cursor.cursor.copy(_PUBLISHED_COPY_SQL, params) as rows:
        return _lines(b"".join(bytes(block) for block in rows))


def recompiled_rows(ranking: RankingMonth) -> list[bytes]:
    """The version's entries compiled now from its cutoff, its held reviews, its own
    moment of exclusion (the cutoff for version 1, corrected_at for a correction) and
    version 1's cadres, names and units."""
    if ranking.published_at is None or ranking.cutoff is None:
        raise ValueError(f"{ranking} has no cutoff: it is not published")
    params = services.compile_params(
        ranking,
        cutoff=ranking.cutoff,
        excluded_by=ranking.corrected_at or ranking.cutoff,
        held=ranking.held_at_cutoff,
        roster=RankingMonth.objects.get(month=ranking.month, version=1).pk,
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(formulas.COMPILE_COPY_SQL, params) as rows,
    ):
        return _lines(b"".join(bytes(block) for block in rows))
