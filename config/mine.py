"""A person's own pages, composed above the apps they read: a resident's points (the lots
they expire in, payments at tills, reviews, vouchers) at /me/, a vendor's registrations,
stalls and the reports they filed at /me/stalls, a cadre's reviews and appeals at
/cadre/reviews. The notifications page links here (notifications/links.py)."""

from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from cadres import selectors as cadres_selectors
from merchants import selectors as merchants_selectors
from moderation import selectors as moderation_selectors
from points import selectors as points_selectors
from points.codes import voucher_url
from stalls import selectors as stalls_selectors
from stalls.codes import site_token, stall_token

# Each list shows its newest rows; the API pages through all of them.
SHOWN = 50


def _private(response):
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response


@require_GET
def my_points(request):
    context = {}
    user = request.user
    if user.is_authenticated:
        context = {
            "balance": points_selectors.points_balance(user=user),
            "lots": points_selectors.lots_of(user=user)[:SHOWN],
            "payments": merchants_selectors.payments_by(resident=user)[:SHOWN],
            "reviews": cadres_selectors.reviews_mine(user=user).order_by("-pk")[:SHOWN],
            "vouchers": [
                (redemption, voucher_url(redemption))
                for redemption in points_selectors.redemptions_of(user=user)[:SHOWN]
            ],
        }
    return _private(TemplateResponse(request, "core/my_points.html", context))


@require_GET
def my_stalls(request):
    """The vendor's registrations (with the officer's decision), their stalls (each with its
    own page, where renewal, photo and appeal are) and the reports they filed."""
    context = {}
    user = request.user
    if user.is_authenticated:
        registrations = list(
            stalls_selectors.registrations_of_vendor(vendor=user).order_by("-pk")[:SHOWN]
        )
        context = {
            "registrations": [
                (registration, f"/q/{site_token(registration.site)}")
                for registration in registrations
            ],
            "stalls": [
                (registration.stall, f"/q/{stall_token(registration.stall)}")
                for registration in registrations
                if hasattr(registration, "stall")
            ],
            "reports": stalls_selectors.reports_of_reporter(reporter=user).order_by("-pk")[:SHOWN],
        }
    return _private(TemplateResponse(request, "core/my_stalls.html", context))


@require_GET
def cadre_reviews(request):
    context = {}
    if request.user.is_authenticated:
        cadre = cadres_selectors.cadre_of_user(user=request.user)
        context["cadre"] = cadre
        if cadre is not None:
            context["reviews"] = cadres_selectors.reviews_of_cadre(cadre=cadre).order_by("-pk")[
                :SHOWN
            ]
            context["appeals"] = moderation_selectors.appeals_of_cadre(cadre=cadre)[:SHOWN]
    return _private(TemplateResponse(request, "core/cadre_reviews.html", context))
