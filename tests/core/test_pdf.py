"""The printed PDFs' font: embedded TrueType where installed, a CID fallback otherwise."""

from reportlab.pdfbase import pdfmetrics

from core import pdf


def test_it_prints_with_the_builtin_font_when_the_font_file_is_missing(settings, tmp_path, caplog):
    """A machine without fonts-wqy-microhei still prints (never a 500), and the error log
    names the package to install."""
    settings.PDF_CJK_FONT_PATH = str(tmp_path / "missing.ttc")
    registered = pdfmetrics._fonts.pop(pdf.FONT_NAME, None)
    try:
        assert pdf.cjk_font() == pdf.FALLBACK_FONT_NAME
        assert pdfmetrics.stringWidth("一人一码", pdf.FALLBACK_FONT_NAME, 10) > 0
    finally:
        if registered is not None:
            pdfmetrics._fonts[pdf.FONT_NAME] = registered
    assert "fonts-wqy-microhei" in caplog.text
