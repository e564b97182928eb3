"""Moral-claim evidence photos: checked before decoding, stored under random names,
served (DEBUG off) to the resident, moral reviewers and district admins only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.roles import Role
from points.models import MoralClaim

BASE = "/api/v1/points"


def png_bytes(size=(10, 10), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def file_claim(client, photo_bytes, name="zhang-san-receipt.png"):
    return client.post(
        f"{BASE}/moral/claims",
        {
            "category": "good_deed",
            "description": "Helped at the market",
            "occurred_on": "2026-01-05",
            "photo": SimpleUploadedFile(name, photo_bytes, content_type="image/png"),
        },
        format="multipart",
    )


def fetch(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


# Pillow warns of the 144-megapixel image this test sends when Django's ImageField opens
# its header (Pillow's own limit is 89 MP); core.photos refuses it at 40 MP.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_it_refuses_a_photo_of_more_than_40_megapixels(resident_api, categories):
    """A 12000x12000 PNG of about 17 kB is 400 `invalid` with a message on `photo`."""
    bomb = png_bytes((12000, 12000), mode="1")
    assert len(bomb) < 100_000
    response = file_claim(resident_api, bomb)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and body["fields"]["photo"]
    assert not MoralClaim.objects.exists()


def test_it_stores_a_claim_photo_under_a_random_name(resident_api, categories):
    """Nothing of the uploaded name is kept; the extension is."""
    response = file_claim(resident_api, png_bytes())
    assert response.status_code == 201, response.content[:300]
    name = MoralClaim.objects.get().photo.name
    assert "zhang" not in name and "receipt" not in name
    assert name.startswith("moral_claims/") and name.endswith(".png")
    assert len(name.rsplit("/", 1)[1]) == 32 + len(".png")


def test_it_serves_a_claim_photo_to_the_resident_reviewers_and_district_admins_only(
    resident, resident_api, categories, reviewer, make_user, client_for, api
):
    """DEBUG off: the photo's URL in the API body answers the image to its resident, a
    moral reviewer and a district admin; another resident, an urban officer and anyone
    anonymous get 404, as for a file that does not exist."""
    content = png_bytes()
    url = file_claim(resident_api, content).json()["photo_url"]
    assert url.startswith("/media/")
    for user in (resident, reviewer, make_user(Role.DISTRICT_ADMIN)):
        status, body = fetch(client_for(user), url)
        assert status == 200, user
        assert body == content
    response = client_for(resident).get(url)
    b"".join(response.streaming_content)  # read to the end: that closes the served file
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    for user in (make_user(), make_user(Role.MERCHANT)):
        assert fetch(client_for(user), url)[0] == 404
    assert fetch(api, url)[0] == 404
    assert fetch(api, url.replace(".png", ".jpg"))[0] == 404
    assert fetch(api, "/media/../config/settings.py")[0] == 404
