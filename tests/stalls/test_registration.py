import pytest
from django.db import connection

from stalls.codes import site_code_url
from stalls.models import Registration, Stall

from .conftest import at_noon, id_number

pytestmark = pytest.mark.django_db


def approve(client, registration_id, slot):
    return client.post(
        f"/api/v1/stalls/registrations/{registration_id}/approve", {"slot": slot}, format="json"
    )


def test_it_runs_the_registration_flow_end_to_end(client_for, register, site, vendor, officer, api):
    """A vendor scans the site, registers, waits; the officer approves onto a slot; the
    stall's own code shows the public view; the vendor sees the slot and hours."""
    vendor_api = client_for(vendor)
    scanned = vendor_api.post("/api/v1/scan", {"code": site_code_url(site)}, format="json")
    assert scanned.status_code == 200
    assert scanned.json()["type"] == "site"
    assert scanned.json()["site"]["free_slots"] == 10

    number = id_number()
    created = register(vendor, site, id_number=number)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending"
    registration_id = created.json()["id"]

    mine = vendor_api.get("/api/v1/stalls/registrations/mine").json()["results"]
    assert [(r["id"], r["status"], r["slot"], r["hours"]) for r in mine] == [
        (registration_id, "pending", None, [])
    ]
    assert mine[0]["id_number"] == number[:3] + "*" * 13 + number[-2:]

    officer_api = client_for(officer)
    queue = officer_api.get("/api/v1/stalls/registrations?status=pending").json()["results"]
    assert [(r["id"], r["id_number"]) for r in queue] == [(registration_id, number)]
    assert queue[0]["vendor_phone"] == vendor.phone

    approved = approve(officer_api, registration_id, 7)
    assert approved.status_code == 201, approved.json()
    stall = approved.json()
    assert stall["slot"] == 7
    assert stall["status"] == "active"
    assert stall["vendor_name"] == "王**"
    assert stall["code_url"].startswith("http")
    assert len(stall["code_url"]) <= 80

    with at_noon():
        public = vendor_api.post("/api/v1/scan", {"code": stall["code_url"]}, format="json").json()
        assert api.get(f"/api/v1/stalls/{stall['id']}").json() == public["stall"]
    assert public["type"] == "stall"
    assert public["stall"]["license_no"] == stall["license_no"]
    assert public["stall"]["trading_now"] is True

    mine = vendor_api.get("/api/v1/stalls/registrations/mine").json()["results"]
    assert mine[0]["status"] == "approved"
    assert mine[0]["slot"] == 7
    assert mine[0]["hours"] == [{"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]}]
    assert api.get("/api/v1/stalls/sites").json()["results"][0]["free_slots"] == 9


def test_it_stores_the_id_number_encrypted(register, site, vendor):
    """The ID number is not in the database in clear, and decrypts back."""
    number = id_number()
    register(vendor, site, id_number=number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_encrypted FROM stalls_registration")
        (stored,) = cursor.fetchone()
    assert number not in stored
    from stalls.idcard import decrypt_id_number

    assert decrypt_id_number(stored) == number


def test_it_refuses_a_forged_or_rotated_site_code(client_for, register, site, officer, vendor):
    """A forged code is 404 code_invalid; after a rotation the old poster is 404
    code_revoked and the new one works; nothing is written for the refused ones."""
    old = site_code_url(site)
    forged = old[:-3] + ("AAA" if not old.endswith("AAA") else "BBB")
    assert register(vendor, site, site_code=forged).json()["code"] == "code_invalid"

    rotated = client_for(officer).post(f"/api/v1/stalls/sites/{site.pk}/qr/rotate")
    assert rotated.status_code == 200
    response = register(vendor, site, site_code=old)
    assert (response.status_code, response.json()["code"]) == (404, "code_revoked")
    assert Registration.objects.count() == 0
    assert register(vendor, site, site_code=rotated.json()["code_url"]).status_code == 201


def test_it_records_who_replaced_a_site_code_in_the_admin_and_the_api(
    client, client_for, site, officer, district_admin
):
    """POST /stalls/sites/{id}/qr/rotate and the admin's action both record the acting user
    and the time on the site."""
    assert client_for(officer).post(f"/api/v1/stalls/sites/{site.pk}/qr/rotate").status_code == 200
    site.refresh_from_db()
    assert (site.code_version, site.code_rotated_by) == (2, officer)
    assert site.code_rotated_at is not None
    client.force_login(district_admin)
    client.post("/admin/stalls/site/", {"action": "rotate_code", "_selected_action": [site.pk]})
    site.refresh_from_db()
    assert (site.code_version, site.code_rotated_by) == (3, district_admin)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "wrong check digit"),
        ("id_number", "15060319801301123X"),  # month 13
        ("id_number", "12345"),
        ("goods_category", "cooked_food"),  # a real category, not allowed at this site
        ("goods_category", "weapons"),
        ("vendor_name", ""),
        ("vendor_name", "x" * 51),
    ],
)
def test_it_refuses_bad_registrations(register, site, vendor, field, value):
    """Each bad field is 400 invalid naming the field, and nothing is written."""
    if value == "wrong check digit":
        good = id_number()
        value = good[:17] + ("0" if good[17] != "0" else "1")
    response = register(vendor, site, **{field: value})
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert Registration.objects.count() == 0


def test_it_refuses_a_second_open_registration(register, site, vendor):
    """One open registration per vendor per site: the second is 409 registration_exists."""
    assert register(vendor, site).status_code == 201
    response = register(vendor, site)
    assert (response.status_code, response.json()["code"]) == (409, "registration_exists")


def test_it_answers_site_full_and_keeps_a_waiting_list_in_order(
    client_for, register, make_site, vendor, other_vendor, make_user, officer
):
    """A full site answers 409 site_full; with waitlist the vendors wait, in order."""
    site = make_site(capacity=1)
    first = register(make_user(), site).json()["id"]
    assert approve(client_for(officer), first, 1).status_code == 201

    response = register(vendor, site)
    assert (response.status_code, response.json()["code"]) == (409, "site_full")
    one = register(vendor, site, waitlist=True).json()
    two = register(other_vendor, site, waitlist=True).json()
    assert (one["status"], one["waiting_position"]) == ("waiting", 1)
    assert (two["status"], two["waiting_position"]) == ("waiting", 2)


def test_it_refuses_a_slot_out_of_range_or_taken(
    client_for, register, site, vendor, other_vendor, officer
):
    """Slot 0 and capacity+1 are 400; a held slot is 409 slot_taken; nothing is written."""
    officer_api = client_for(officer)
    registration = register(vendor, site).json()["id"]
    for slot in (0, 11, -1, "seven", None, 10**20):
        response = approve(officer_api, registration, slot)
        assert response.status_code == 400, (slot, response.json())
        assert "slot" in response.json()["fields"]
    assert Stall.objects.count() == 0

    other = register(other_vendor, site).json()["id"]
    assert approve(officer_api, other, 3).status_code == 201
    response = approve(officer_api, registration, 3)
    assert (response.status_code, response.json()["code"]) == (409, "slot_taken")
    assert Registration.objects.get(pk=registration).status == "pending"


def test_it_refuses_to_decide_a_decided_registration(client_for, register, site, vendor, officer):
    """Approving or rejecting an approved registration is 409 registration_already_decided."""
    officer_api = client_for(officer)
    registration = register(vendor, site).json()["id"]
    assert approve(officer_api, registration, 1).status_code == 201
    response = approve(officer_api, registration, 2)
    assert (response.status_code, response.json()["code"]) == (409, "registration_already_decided")
    response = officer_api.post(
        f"/api/v1/stalls/registrations/{registration}/reject", {"reason": "x"}, format="json"
    )
    assert response.json()["code"] == "registration_already_decided"
    assert Stall.objects.count() == 1


def test_it_rejects_with_a_reason_the_vendor_sees(client_for, register, site, vendor, officer):
    """A rejection needs a reason; the vendor sees status rejected and the reason."""
    officer_api = client_for(officer)
    registration = register(vendor, site).json()["id"]
    url = f"/api/v1/stalls/registrations/{registration}/reject"
    assert officer_api.post(url, {}, format="json").status_code == 400
    response = officer_api.post(url, {"reason": "证件照片不清晰"}, format="json")
    assert response.status_code == 200
    mine = client_for(vendor).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert (mine[0]["status"], mine[0]["reject_reason"]) == ("rejected", "证件照片不清晰")
    # Rejected is no longer open: the vendor may register again.
    assert register(vendor, site).status_code == 201


def test_it_keeps_other_units_officers_out(
    client_for, register, site, vendor, other_officer, district_admin
):
    """An officer of another unit gets 403 on deciding and on the registration, and
    never sees the ID number, not even in their queue; district_admin sees it masked."""
    number = id_number()
    registration = register(vendor, site, id_number=number).json()["id"]
    other_api = client_for(other_officer)
    assert approve(other_api, registration, 1).status_code == 403
    response = other_api.post(
        f"/api/v1/stalls/registrations/{registration}/reject", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    response = other_api.get(f"/api/v1/stalls/registrations/{registration}")
    assert response.status_code == 403
    assert number not in response.content.decode()
    assert other_api.get("/api/v1/stalls/registrations").json()["results"] == []
    assert other_api.get(f"/api/v1/stalls/sites/{site.pk}/qr.png").status_code == 403
    assert other_api.post(f"/api/v1/stalls/sites/{site.pk}/qr/rotate").status_code == 403
    assert Registration.objects.get(pk=registration).status == "pending"

    admin_view = client_for(district_admin).get(f"/api/v1/stalls/registrations/{registration}")
    assert admin_view.status_code == 200
    assert admin_view.json()["id_number"] == number[:3] + "*" * 13 + number[-2:]


def test_it_keeps_vendors_out_of_each_others_registrations(
    client_for, register, site, vendor, other_vendor
):
    """A vendor sees their own registration (masked) but not another vendor's, and
    cannot decide anything."""
    number = id_number()
    registration = register(vendor, site, id_number=number).json()["id"]
    own = client_for(vendor).get(f"/api/v1/stalls/registrations/{registration}")
    assert own.status_code == 200
    assert number not in own.content.decode()
    other_api = client_for(other_vendor)
    response = other_api.get(f"/api/v1/stalls/registrations/{registration}")
    assert response.status_code == 403
    assert other_api.get("/api/v1/stalls/registrations/mine").json()["results"] == []
    assert other_api.get("/api/v1/stalls/registrations").status_code == 403
    assert approve(other_api, registration, 1).status_code == 403


def test_it_serves_the_stall_code_to_its_vendor_and_officers_only(
    client_for, register, site, vendor, other_vendor, officer, other_officer
):
    """GET /stalls/{id}/qr.png: the vendor and the unit's officers; others 403."""
    registration = register(vendor, site).json()["id"]
    stall = approve(client_for(officer), registration, 1).json()
    url = f"/api/v1/stalls/{stall['id']}/qr.png"
    for user, expected in [
        (vendor, 200),
        (officer, 200),
        (other_vendor, 403),
        (other_officer, 403),
    ]:
        response = client_for(user).get(url)
        assert response.status_code == expected
    import io

    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(client_for(vendor).get(url).content))
    assert zxingcpp.read_barcodes(image)[0].text == stall["code_url"]


def test_it_answers_unknown_and_huge_ids_with_404(client_for, officer, api):
    """Unknown ids are 404 and ids beyond 18 digits do not reach the database."""
    officer_api = client_for(officer)
    assert api.get("/api/v1/stalls/999999").status_code == 404
    assert api.get("/api/v1/stalls/" + "9" * 30).status_code == 404
    assert api.get("/api/v1/stalls/sites/999999").status_code == 404
    assert approve(officer_api, 999999, 1).status_code == 404
    assert (
        officer_api.post("/api/v1/stalls/999999/inspections", {"result": "pass"}).status_code == 404
    )


def test_it_needs_sign_in_to_register(api, site):
    """Registering without a token is 401 not_authenticated."""
    response = api.post(
        "/api/v1/stalls/registrations", {"site_code": site_code_url(site)}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_it_lists_registrations_in_a_fixed_number_of_queries(
    client_for, register, make_site, make_user, officer, vendor, django_assert_num_queries
):
    """The officer's queue and the vendor's own list: queries do not grow with rows
    (pending, waiting and approved alike)."""
    officer_api, vendor_api = client_for(officer), client_for(vendor)
    full = make_site(capacity=1)
    register(make_user(), full)
    officer_api.post(
        f"/api/v1/stalls/registrations/{Registration.objects.get().pk}/approve",
        {"slot": 1},
        format="json",
    )
    for _ in range(3):
        site = make_site()
        registration = register(vendor, site).json()["id"]
        officer_api.post(
            f"/api/v1/stalls/registrations/{registration}/approve", {"slot": 1}, format="json"
        )
        register(vendor, site)
        register(make_user(), full, waitlist=True)
    register(vendor, full, waitlist=True)
    # User, roles, units (twice: managed, and whose ID numbers show), the page and the
    # windows; the officer's unit and one INSERT of the page's reveals (core.audit):
    # the same whatever the rows.
    with django_assert_num_queries(8):
        queue = officer_api.get("/api/v1/stalls/registrations").json()["results"]
    assert len(queue) == 11
    # User, the page and the windows.
    with django_assert_num_queries(3):
        mine = vendor_api.get("/api/v1/stalls/registrations/mine").json()["results"]
    assert sorted(r["status"] for r in mine) == ["approved"] * 3 + ["pending"] * 3 + ["waiting"]
    assert [r["waiting_position"] for r in mine if r["status"] == "waiting"] == [4]


def test_it_takes_an_optional_photo_and_refuses_a_non_image(
    client_for, site, vendor, settings, tmp_path
):
    """A multipart registration may carry a photo; a file that is not an image is 400."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    body = {
        "site_code": site_code_url(site),
        "vendor_name": "孙阿姨",
        "id_number": id_number(),
        "goods_category": "snacks",
    }
    api = client_for(vendor)
    bad = api.post(
        "/api/v1/stalls/registrations",
        {**body, "photo": SimpleUploadedFile("a.png", b"not an image", "image/png")},
        format="multipart",
    )
    assert bad.status_code == 400 and "photo" in bad.json()["fields"]
    good = api.post(
        "/api/v1/stalls/registrations",
        {**body, "photo": SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")},
        format="multipart",
    )
    assert good.status_code == 201, good.json()
    registration = Registration.objects.get()
    assert registration.photo.name.startswith("stalls/registrations/")
    mine = api.get("/api/v1/stalls/registrations/mine").json()["results"]
    assert mine[0]["photo_url"].endswith(".png")


def test_it_refuses_an_officer_deciding_their_own_registration(client_for, register, site, officer):
    """An urban officer who registers a stall at their own unit's site can neither approve
    nor reject it: 403 `own_case_subject`, and the registration stays pending."""
    registration_id = register(officer, site).json()["id"]
    officer_api = client_for(officer)
    base = f"/api/v1/stalls/registrations/{registration_id}"
    approve = officer_api.post(f"{base}/approve", {"slot": 1}, format="json")
    assert approve.status_code == 403, approve.content[:200]
    assert approve.json()["code"] == "own_case_subject"
    reject = officer_api.post(f"{base}/reject", {"reason": "不合规"}, format="json")
    assert reject.status_code == 403 and reject.json()["code"] == "own_case_subject"
    assert Registration.objects.get(pk=registration_id).status == Registration.Status.PENDING
    assert not Stall.objects.exists()


@pytest.mark.parametrize("digit", ["²", "３", "٣"])
def test_it_takes_only_ascii_digits_in_an_id_number(register, site, vendor, digit):
    """A superscript, full-width or Arabic-Indic digit anywhere in the number is a clear,
    translated 400 on `id_number` (not Python's own error text), and nothing is stored."""
    good = id_number()
    for position in (3, 16):
        value = good[:position] + digit + good[position + 1 :]
        response = register(vendor, site, id_number=value)
        assert response.status_code == 400, response.content[:200]
        assert response.json()["fields"]["id_number"] == ["身份证号码应为17位数字加1位数字或X。"]
    assert Registration.objects.count() == 0
