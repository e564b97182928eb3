"""The A4 poster of a site's Stall Management Code: name, hours and the code, large."""

import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.pdf import cjk_font, fit
from core.qr import qr_png

from .codes import site_code_url


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
    font = cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    with translation.override(language):
        pdf = canvas.Canvas(buffer, pagesize=A4)
        pdf.setTitle(str(site.name))
        text_w = width - 30 * mm  # every line stays inside the page's margins

        def centred(y, text, size):
            pdf.setFont(font, size)
            pdf.drawCentredString(width / 2, y, fit(str(text), font, size, text_w))

        centred(height - 35 * mm, _("Stall Management Code"), 30)
        centred(height - 52 * mm, site.name, 24)
        centred(height - 63 * mm, site.get_kind_display(), 14)
        centred(
            height - 73 * mm,
            _("Trading hours: %(hours)s") % {"hours": _hours_line(site.windows.all())},
            14,
        )
        size = 130 * mm
        image = ImageReader(io.BytesIO(qr_png(site_code_url(site), box_size=20)))
        pdf.drawImage(image, (width - size) / 2, height - 83 * mm - size, size, size)
        lines = [
            _("Vendors: scan to register your stall with urban management."),
            _("Everyone: scan to see the stalls here and to report a problem."),
            _("Address: %(address)s") % {"address": site.address},
            _("Responsible: %(unit)s") % {"unit": site.unit.name},
        ]
        y = height - 83 * mm - size - 12 * mm
        for line in lines:
            centred(y, line, 13)
            y -= 8 * mm
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
