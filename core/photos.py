"""The one check of an uploaded photo, for every app: its size in bytes and in pixels.

The pixel count is read from the image header (Pillow opens lazily), so a 17 kB PNG
that claims 12000x12000 is refused before anything decodes its 144 million pixels.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image

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
