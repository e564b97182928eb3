"""The admin pages of the models that moved out of cadres (issue 20) are under their new
app's label; their old addresses, /admin/cadres/<model>/..., answer with a permanent
redirect to the same page (query included): 301 for a read, 308 (the method and body
kept) for a form's POST."""

from django.http import HttpResponsePermanentRedirect
from django.urls import re_path

MOVED = {
    "rankingmonth": "rankings",
    "rankingentry": "rankings",
    "bottomwarning": "rankings",
    "reviewflag": "moderation",
    "appeal": "moderation",
    "holiday": "moderation",
}


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


def moved_admin(request, model: str, rest: str):
    old = f"/admin/cadres/{model}/"
    url = request.get_full_path().replace(old, f"/admin/{MOVED[model]}/{model}/", 1)
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(url)
    return PermanentRedirectKeepingMethod(url)


urlpatterns = [
    re_path(
        rf"^admin/cadres/(?P<model>{'|'.join(MOVED)})/(?P<rest>.*)$",
        moved_admin,
        name="moved-admin",
    ),
]
