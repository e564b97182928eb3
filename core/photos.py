"""The one check of an uploaded photo, for every app: its size in bytes and in pixels.

The pixel count is read from the image header (Pillow opens lazily), so a 17 kB PNG
that claims 12000x12000 is refused before anything decodes its 144 million pixels.
"""

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from core.errors import Invalid

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000


def validate_photo(photo) -> None:
    """A Django validator (model fields, forms, serializers): ValidationError if too big."""
    if photo.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("A photo may be at most 5 MB."), code="photo_too_large")
    # Django's ImageField leaves the opened header on the upload; a stored file has none.
    image = getattr(photo, "image", None)
    if image is not None:
        width, height = image.size
    else:
        position = photo.tell()
        try:
            with Image.open(photo) as opened:
                width, height = opened.size
        except (OSError, Image.DecompressionBombError) as error:
            raise ValidationError(_("Upload a valid image."), code="invalid_image") from error
        finally:
            photo.seek(position)
    if width * height > MAX_PHOTO_PIXELS:
        raise ValidationError(
            _("A photo may have at most 40 megapixels."), code="photo_too_many_pixels"
        )


def check_photo(photo) -> None:
    """For services: `validate_photo` as the API's 400 `invalid` on the `photo` field."""
    if photo is None:
        return
    try:
        validate_photo(photo)
    except ValidationError as error:
        raise Invalid(fields={"photo": error.messages}) from None


def resized_jpeg(photo, *, max_side: int = 600, quality: int = 85) -> bytes:
    """A checked photo re-encoded as a JPEG at most `max_side` pixels a side, turned
    upright by its EXIF orientation and carrying no metadata (EXIF, GPS, comments):
    what gets stored is only the pixels. Call `check_photo` first (it bounds the pixels)."""
    position = photo.tell() if hasattr(photo, "tell") else 0
    photo.seek(0)
    try:
        with Image.open(photo) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            if image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            # No exif=, no icc_profile=: Pillow writes none unless asked.
            image.save(out, format="JPEG", quality=quality, optimize=True)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise Invalid(fields={"photo": [str(_("Upload a valid image."))]}) from error
    finally:
        photo.seek(position)
    return out.getvalue()
