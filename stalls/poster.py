"""The A4 poster of a site's Stall Management Code: name, hours and the code, large."""

import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from core.qr import qr_png

from .codes import site_code_url

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _hours_line(windows) -> str:
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    parts = []
    for window in windows:
        text = f"{window.start:%H:%M}-{window.end:%H:%M}"
        if window.days_mask != window.ALL_DAYS:
            text += " (" + " ".join(weekdays[d - 1] for d in window.days) + ")"
        parts.append(text)
    return "  ".join(parts) or _("no trading hours set")


def site_poster_pdf(site, *, language: str = "zh-hans") -> bytes:
    """One A4 page. Rendered outside any transaction: it is slow and holds no lock."""
    font = _font()
    buffer = io.BytesIO()
    width, height = A4
    with translation.override(language):
        pdf = canvas.Canvas(buffer, pagesize=A4)
        pdf.setTitle(str(site.name))
        pdf.setFont(font, 30)
        pdf.drawCentredString(width / 2, height - 35 * mm, _("Stall Management Code"))
        pdf.setFont(font, 24)
        pdf.drawCentredString(width / 2, height - 52 * mm, site.name)
        pdf.setFont(font, 14)
        pdf.drawCentredString(width / 2, height - 63 * mm, site.get_kind_display())
        pdf.drawCentredString(
            width / 2,
            height - 73 * mm,
            _("Trading hours: %(hours)s") % {"hours": _hours_line(site.windows.all())},
        )
        size = 130 * mm
        image = ImageReader(io.BytesIO(qr_png(site_code_url(site), box_size=20)))
        pdf.drawImage(image, (width - size) / 2, height - 83 * mm - size, size, size)
        pdf.setFont(font, 13)
        lines = [
            _("Vendors: scan to register your stall with urban management."),
            _("Everyone: scan to see the stalls here and to report a problem."),
            _("Address: %(address)s") % {"address": site.address},
            _("Responsible: %(unit)s") % {"unit": site.unit.name},
        ]
        y = height - 83 * mm - size - 12 * mm
        for line in lines:
            pdf.drawCentredString(width / 2, y, line)
            y -= 8 * mm
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
