"""Cadre photos are public (the badge page shows them), served with DEBUG off under a
random name."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_serves_a_cadre_photo_to_anyone(api, cadre):
    """The photo_url of a unit's cadre list answers the image to an anonymous client."""
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), "blue").save(buffer, format="PNG")
    cadre.photo = SimpleUploadedFile("wang-lina.png", buffer.getvalue(), "image/png")
    cadre.save()
    assert "wang" not in cadre.photo.name and cadre.photo.name.startswith("cadres/")
    listed = api.get(f"/api/v1/units/{cadre.unit_id}/cadres").json()["results"]
    url = listed[0]["photo_url"]
    response = api.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == buffer.getvalue()
