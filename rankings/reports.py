"""The standing committee's monthly report (for its review seat): one PDF per published
month with the bottom units and cadres, their months in a row at the bottom and the
last three months' ranks and scores, and the warnings still open. Drawn with reportlab
in the one CJK font (core.pdf); in Chinese whatever the admin's language. Rendering is
slow work: callers never hold a row lock while it runs."""

import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from core.pdf import cjk_font, fit

from .selectors import BottomReport

MARGIN = 15 * mm
LINE = 6 * mm


def _trend_text(trend) -> str:
    parts = []
    for label, entry in trend:
        if entry is None:
            parts.append(f"{label}: -")
        else:
            rank = entry.rank if entry.rank is not None else "-"
            parts.append(f"{label}: #{rank} {entry.score}")
        # The scores of months without reviews are printed as stored (the digest's).
    return "  ".join(parts)


def bottom_report_pdf(report: BottomReport) -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page_w, page_h = A4
    width = page_w - 2 * MARGIN
    y = page_h - MARGIN

    def line(text: str, size: float = 9, indent: float = 0):
        nonlocal y
        if y < MARGIN + LINE:
            pdf.showPage()
            y = page_h - MARGIN
        pdf.setFont(font, size)
        pdf.drawString(MARGIN + indent, y, fit(text, font, size, width - indent))
        y -= LINE if size < 12 else LINE * 1.5

    with translation.override("zh-hans"):
        title = _("Bottom units and cadres · %(month)s") % {"month": report.ranking.label}
        pdf.setTitle(title)
        line(title, 16)
        if report.ranking.verified_only:
            line(_("Ranked on verified reviews only."))
        line(_("Bottom: the lowest tenth of the ranked, across the district."))
        for scope, heading in (
            ("unit", _("Units at the bottom")),
            ("cadre", _("Cadres at the bottom")),
        ):
            line(heading, 12)
            rows = [r for r in report.lines if r.entry.scope == scope]
            if not rows:
                line(_("None."), indent=4 * mm)
            for row in rows:
                entry = row.entry
                name = entry.name if scope == "unit" else f"{entry.name} ({entry.unit_name})"
                line(
                    _("%(name)s: rank %(rank)s, score %(score)s, %(months)d month(s) in a row")
                    % {
                        "name": name,
                        "rank": entry.rank,
                        "score": entry.score,
                        "months": row.months,
                    },
                    10,
                    indent=4 * mm,
                )
                line(_("Trend") + ": " + _trend_text(row.trend), 8, indent=8 * mm)
        line(_("Open warnings"), 12)
        if not report.warnings:
            line(_("None."), indent=4 * mm)
        for warning in report.warnings:
            line(
                f"{warning.ranking.label} · {warning.get_kind_display()} · {warning.name} · "
                + _("%(months)d month(s) in a row") % {"months": warning.streak}
                + f" · {warning.get_state_display()}",
                9,
                indent=4 * mm,
            )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
