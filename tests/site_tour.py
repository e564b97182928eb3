"""A tour of the site's pages over the demo district (seed_demo): each stop is a page and
who looks at it (None: anonymous), public and signed-in alike. The CSP tests walk it."""

import io
from io import StringIO
from typing import NamedTuple
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from PIL import Image

from accounts.consent import consent_give, current_version
from accounts.models import Consent, User
from cadres.codes import badge_url
from cadres.models import Cadre
from cadres.seed import OFFICER_PHONES
from desk.seed import AGENT_PHONE
from merchants.seed import SHOP_PHONE
from points.codes import privilege_pass_issue
from stalls.codes import site_code_url, stall_code_url
from stalls.models import Site
from stalls.services import registration_approve, registration_create, stall_photo_set
from tests.stalls.conftest import id_number

ADMIN_PHONE = "+8613847709999"


class Stop(NamedTuple):
    label: str
    path: str
    user: User | None


def _path(url: str) -> str:
    return urlsplit(url).path


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#3a7").save(buffer, format="PNG")
    return SimpleUploadedFile("stall.png", buffer.getvalue(), "image/png")


def demo_district() -> dict:
    """The demo district, plus a stall with a photo (its vendor signed in sees the vendor
    panel) and a superuser for the admin."""
    call_command("seed_demo", stdout=StringIO())
    site = Site.objects.order_by("pk").first()
    vendor = User.objects.create_user("+8613847709001", display_name="王小明")
    registration = registration_create(
        vendor=vendor,
        site=site,
        vendor_name="王小明",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
        description="新鲜水果",
    )
    officer = User.objects.get(phone=OFFICER_PHONES[0])
    stall = registration_approve(registration=registration, officer=officer, slot=1)
    stall = stall_photo_set(stall=stall, vendor=vendor, photo=_png())
    superuser = User.objects.create_superuser(ADMIN_PHONE, "a-long-admin-password")
    # Its people have accepted the privacy notice and the ID-number consent, so the pages
    # show their forms (a person who has not sees the accept form: tests of each page).
    for person in User.objects.all():
        consent_give(user=person, version=current_version(), purpose=Consent.Purpose.ID_NUMBER)
    return {"site": site, "stall": stall, "vendor": vendor, "superuser": superuser}


def page_stops(district: dict) -> list[Stop]:
    """The public and signed-in pages (not the admin)."""
    cadre = Cadre.objects.filter(active=True).order_by("pk").first()
    resident = User.objects.filter(groups__isnull=True, is_superuser=False).first()
    cadre_user = User.objects.get(phone=OFFICER_PHONES[0])
    return [
        Stop("home", reverse("home"), None),
        Stop("home signed in", reverse("home"), resident),
        Stop("leaderboard", reverse("leaderboard"), None),
        Stop("badge", _path(badge_url(cadre)), None),
        Stop("badge signed in", _path(badge_url(cadre)), resident),
        Stop("site", _path(site_code_url(district["site"])), None),
        Stop("site signed in", _path(site_code_url(district["site"])), resident),
        Stop("stall", _path(stall_code_url(district["stall"])), None),
        Stop("stall of its vendor", _path(stall_code_url(district["stall"])), district["vendor"]),
        Stop("open data", reverse("open"), None),
        Stop("livestream", reverse("livestream"), None),
        Stop("desk", reverse("desk-page"), User.objects.get(phone=AGENT_PHONE)),
        Stop("merchant", reverse("merchant-page"), User.objects.get(phone=SHOP_PHONE)),
        Stop("merchant sign-in", reverse("merchant-page"), None),
        Stop("notifications", reverse("notifications-page"), resident),
        Stop("my points", reverse("my-points"), resident),
        Stop("my points signed out", reverse("my-points"), None),
        Stop("my stalls", reverse("my-stalls"), district["vendor"]),
        Stop("cadre reviews", reverse("cadre-reviews-page"), cadre_user),
        Stop("ticket window", reverse("cadre-ticket-window"), cadre_user),
        Stop("pass", _path(privilege_pass_issue(resident=resident).code_url), resident),
        Stop("api docs", reverse("api-docs"), None),
        Stop("admin login", reverse("admin:login"), None),
    ]


def admin_stops(district: dict) -> list[Stop]:
    """As the superuser: the admin index, and each model's list, add form and the change
    form of its first row."""
    superuser = district["superuser"]
    request = RequestFactory().get(reverse("admin:index"))
    request.user = superuser
    stops = [Stop("admin index", reverse("admin:index"), superuser)]
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        stops.append(Stop(f"{meta.label} list", reverse(f"{prefix}_changelist"), superuser))
        if admin.site.get_model_admin(model).has_add_permission(request):
            stops.append(Stop(f"{meta.label} add", reverse(f"{prefix}_add"), superuser))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            try:
                change = reverse(f"{prefix}_change", args=[row.pk])
            except NoReverseMatch:
                continue
            stops.append(Stop(f"{meta.label} change", change, superuser))
    return stops
