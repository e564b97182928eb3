"""bench/leaderboard.py's URLconf: the project's URLs plus the ceiling, a plain Django view
returning bytes stored in the same Redis (the same bytes the app serves, put there by the
benchmark). Loaded only by bench/leaderboard_settings.py."""

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as app_urlpatterns

PREFIX = "bench:ceiling:"


@require_GET
def stored_bytes(request, name):
    """The ceiling: one GET from Redis (the Django cache), the bytes as they are."""
    found = cache.get(PREFIX + name)
    if found is None:
        raise Http404
    content_type, body = found
    return HttpResponse(body, content_type=content_type)


urlpatterns = [path("bench/stored/<slug:name>", stored_bytes), *app_urlpatterns]
