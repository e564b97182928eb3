"""What a rendered PDF page prints: its text runs with their positions, and its fonts."""

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass
class Run:
    text: str
    x: float
    y: float  # the baseline, in points from the bottom of the page
    size: float
    font: dict


def runs(page) -> list[Run]:
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            # Text space -> page space: the text matrix, then the current transformation.
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append(Run(text.strip(), x, y, size * tm[3] * cm[3], font))

    page.extract_text(visitor_text=visit)
    return found


def unembedded_fonts(page) -> list[str]:
    """Names of the fonts the page's text uses without embedding their glyphs."""
    missing = []
    for run in runs(page):
        font = run.font
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.append(f"{font.get('/BaseFont')}: {run.text}")
    return missing


def pages(content: bytes):
    return PdfReader(io.BytesIO(content)).pages
