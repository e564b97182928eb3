"""Uploaded files: stored under random names, served only to who may see them.

Nothing serves MEDIA_ROOT directly: a name kept as uploaded (`receipt-of-zhang-san.jpg`)
would be guessable behind any proxy that did. Each upload folder is declared by the
app that owns it (`UPLOADS` in its registrations.py, core.registrations), with the model
and field holding the name and a rule saying who may see the file; `/media/<name>` (the
storage's own URLs, so `.url` in API bodies and the admin needs no change) answers the
file to them and 404 to everyone else.
"""

import mimetypes
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db.models import Model
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.html import format_html
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

# Extensions kept from the uploaded name (the content was checked to be an image).
_IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}


@deconstructible
class RandomName:
    """`upload_to`: `<folder>/<32 random hex digits><.ext>`, nothing of the uploaded name."""

    def __init__(self, folder: str):
        self.folder = folder.strip("/")

    def __call__(self, instance, filename: str) -> str:
        extension = os.path.splitext(filename)[1].lower()
        if extension not in _IMAGE_EXTENSIONS:
            extension = ""
        return f"{self.folder}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder


@dataclass(frozen=True)
class UploadKind:
    model: type[Model]
    field: str
    # can_see(user, obj) -> bool; `user` may be anonymous.
    can_see: Callable
    public: bool = False


_KINDS: dict[str, UploadKind] = {}


def register(folder: str, kind: UploadKind) -> None:
    """Core registers each folder the apps declare (`UPLOADS`) when it starts."""
    _KINDS[folder.strip("/")] = kind


def upload_kind(name: str) -> UploadKind | None:
    """The registered folder a stored name is in, if any."""
    return next((k for folder, k in _KINDS.items() if name.startswith(folder + "/")), None)


def _user(request):
    """The session's user (admin, pages), else the API's bearer token; may be anonymous."""
    if request.user.is_authenticated:
        return request.user
    try:
        authenticated = JWTAuthentication().authenticate(request)
    except (AuthenticationFailed, InvalidToken, TokenError):
        authenticated = None
    return authenticated[0] if authenticated else request.user


@require_GET
def serve(request, name: str):
    """GET /media/<name>: the file to whoever its owner's rule admits; 404 otherwise,
    the same answer as for a name that does not exist."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
        raise Http404
    kind = upload_kind(name)
    if kind is None:
        raise Http404
    owner = kind.model._default_manager.filter(**{kind.field: name}).first()
    if owner is None or not kind.can_see(_user(request), owner):
        raise Http404
    try:
        stored = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(stored, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600" if kind.public else "private, no-store"
    if not kind.public:
        response["Vary"] = "Cookie, Authorization"
    return response


def photo_preview(photo):
    """The admin's read-only view of a photo field: the image itself, through `serve`
    (sized by core/admin.css, which core.admin.PhotoPreviewMixin adds to the page)."""
    if not photo:
        return "-"
    return format_html(
        '<a href="{0}"><img src="{0}" alt="" class="photo-preview"></a>',
        photo.url,
    )
