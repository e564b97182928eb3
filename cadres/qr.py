"""A cadre's badge printed: the QR images and the printable badge sheet (the token and
URL are cadres.codes). Rendering is slow work: callers never hold a row lock while it runs.
"""

import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.pdf import cjk_font, fit
from core.qr import qr_png, qr_svg

from .codes import badge_url, ticket_url
from .models import Cadre, ServiceTicket

COLUMNS, ROWS = 2, 4  # 8 badges an A4 page


def badge_png(cadre: Cadre, *, box_size: int = 10) -> bytes:
    return qr_png(badge_url(cadre), box_size=box_size)


def ticket_png(ticket: ServiceTicket, *, box_size: int = 10) -> bytes:
    return qr_png(ticket_url(ticket), box_size=box_size)


def badge_svg(cadre: Cadre) -> bytes:
    return qr_svg(badge_url(cadre))


def badge_sheet_pdf(cadres: list[Cadre]) -> bytes:
    """An A4 sheet of badges, 8 a page: name, title, unit, photo box, code, instructions."""
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page_w, page_h = A4
    margin = 10 * mm
    cell_w = (page_w - 2 * margin) / COLUMNS
    cell_h = (page_h - 2 * margin) / ROWS
    with translation.override("zh-hans"):
        instructions = _("Scan with your phone to review my service")
        title_line = _("One person, one code")
        pdf.setTitle(_("Badges"))
    for index, cadre in enumerate(cadres):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            pdf.showPage()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = margin + col * cell_w
        y = page_h - margin - (row + 1) * cell_h
        pad = 4 * mm
        pdf.setLineWidth(0.6)
        pdf.setDash(3, 3)
        pdf.rect(x + 1 * mm, y + 1 * mm, cell_w - 2 * mm, cell_h - 2 * mm)  # cut line
        pdf.setDash()
        # Photo placeholder on the left, the code on the right.
        photo_w, photo_h = 25 * mm, 32 * mm
        top = y + cell_h - pad
        pdf.rect(x + pad, top - photo_h, photo_w, photo_h)
        pdf.setFont(font, 7)
        with translation.override("zh-hans"):
            pdf.drawCentredString(x + pad + photo_w / 2, top - photo_h / 2, _("Photo"))
        qr_size = 34 * mm
        qr_x = x + cell_w - pad - qr_size
        pdf.drawImage(
            ImageReader(io.BytesIO(badge_png(cadre, box_size=6))),
            qr_x,
            top - qr_size,
            qr_size,
            qr_size,
        )
        # Five lines under the photo and code, the last one well above the cut line.
        text_w = cell_w - 2 * pad
        line_y = top - max(photo_h, qr_size) - 6 * mm
        pdf.setFont(font, 14)
        pdf.drawString(x + pad, line_y, fit(cadre.name, font, 14, text_w))
        pdf.setFont(font, 9)
        pdf.drawString(x + pad, line_y - 5 * mm, fit(cadre.title, font, 9, text_w))
        pdf.drawString(x + pad, line_y - 9 * mm, fit(cadre.unit.name, font, 9, text_w))
        pdf.setFont(font, 8)
        pdf.drawString(
            x + pad, line_y - 13 * mm, fit(f"{title_line} · {instructions}", font, 8, text_w)
        )
        pdf.drawString(
            x + pad, line_y - 17 * mm, fit(f"No. {cadre.employee_number}", font, 8, text_w)
        )
    if not cadres:
        pdf.setFont(font, 12)
        with translation.override("zh-hans"):
            pdf.drawString(margin, page_h - margin - 12, _("This unit has no active cadres."))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
