"""QR images of a code URL. Error correction Q (25%): a worn, printed badge still scans."""

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_Q


def _qr(data: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(data, box_size).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str, *, box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(data, box_size).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()
