"""The one CJK font every printed PDF embeds (badges, site posters).

reportlab embeds TrueType outlines only, so the font is WenQuanYi Micro Hei from Debian's
`fonts-wqy-microhei` (a TrueType collection with every glyph the sheets print, the middle
dot "·" included; the built-in STSong-Light CID font has no "·" and prints a box).
Where the font file is missing, the PDFs still print, with STSong-Light, and the error
log names the package to install: a badge sheet with a box is better than a 500.
"""

import logging
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

FONT_NAME = "WenQuanYiMicroHei"
FALLBACK_FONT_NAME = "STSong-Light"


def cjk_font() -> str:
    """Register the font once and return its name for `canvas.setFont`."""
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT_NAME in registered:
        return FONT_NAME
    path = Path(settings.PDF_CJK_FONT_PATH)
    if path.is_file():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
        return FONT_NAME
    logger.error(
        "The PDF font %s is missing: install Debian's fonts-wqy-microhei (apt-get install "
        "fonts-wqy-microhei) or set PDF_CJK_FONT_PATH to a TrueType CJK font. Printing with "
        "reportlab's STSong-Light, which has no middle dot.",
        path,
    )
    if FALLBACK_FONT_NAME not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT_NAME))
    return FALLBACK_FONT_NAME


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis until it is at most `width` points wide."""
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text
