"""A month's rankings as CSV and XLSX, for the personnel department."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from . import selectors
from .models import RankingEntry, RankingMonth


def _header() -> list[str]:
    return [
        _("Month"),
        _("Scope"),
        _("Ranked within unit"),
        _("Rank"),
        _("Name"),
        _("Unit"),
        _("Reviews"),
        _("Satisfaction rate"),
        _("Response rate"),
        _("Rejection rate"),
        _("Score"),
        _("Bottom 10%"),
        _("Excluded: colleague"),
        _("Excluded: appeal"),
        _("Excluded: fraud"),
        _("Verified share"),
    ]


def _rows(rankings: list[RankingMonth]):
    scopes = dict(RankingEntry.Scope.choices)
    within = RankingEntry.Scope.UNIT_CADRE
    for ranking in sorted(rankings, key=lambda r: (r.month, r.version)):
        for e in selectors.ranking_lines(ranking=ranking):
            yield [
                str(ranking),  # a correction as "2026-03 v2"
                str(scopes[e.scope]),
                e.unit_name if e.scope == within else "",
                e.rank if e.rank is not None else "",
                e.name,
                e.unit_name,
                e.reviews,
                e.satisfaction_rate,
                e.response_rate,
                e.rejection_rate,
                e.score,
                _("yes") if e.bottom else "",
                e.excluded_colleague,
                e.excluded_appeal,
                e.excluded_fraud,
                e.verified_share,
            ]


def rankings_csv(rankings: list[RankingMonth]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    writer.writerows(_rows(rankings))
    # With a BOM, so that Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rankings_xlsx(rankings: list[RankingMonth]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rankings"))
    sheet.append(_header())
    for row in _rows(rankings):
        sheet.append([float(v) if hasattr(v, "as_tuple") else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
