"""The one CJK font every printed PDF embeds (badges, site posters).

reportlab embeds TrueType outlines only, so the font is WenQuanYi Micro Hei from Debian's
`fonts-wqy-microhei` (a TrueType collection with every glyph the sheets print, the middle
dot "·" included; the built-in STSong-Light CID font has no "·" and prints a box).
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WenQuanYiMicroHei"


def cjk_font() -> str:
    """Register the font once and return its name for `canvas.setFont`."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = Path(settings.PDF_CJK_FONT_PATH)
        if not path.is_file():
            raise ImproperlyConfigured(
                f"The PDF font {path} is missing: install Debian's fonts-wqy-microhei "
                "(apt-get install fonts-wqy-microhei) or set PDF_CJK_FONT_PATH to a "
                "TrueType CJK font."
            )
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis until it is at most `width` points wide."""
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text
