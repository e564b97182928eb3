from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.converters import IdConverter
from core.metrics import metrics_view
from core.uploads import serve as serve_upload
from core.views import scan_page
from desk.api.views import AssistedMineView

from .health import healthz, readyz
from .home import display_mode, favicon, home
from .me import MeView
from .mine import cadre_reviews, my_points, my_stalls

register_converter(IdConverter, "id")

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("me", MeView.as_view(), name="me"),
    path("me/assisted", AssistedMineView.as_view(), name="me-assisted"),
    path("", include("core.api.urls")),
    path("points/", include("points.api.urls")),
    path("", include("merchants.api.urls")),
    path("", include("cadres.api.urls")),
    path("", include("rankings.api.urls")),
    path("", include("moderation.api.urls")),
    path("stalls/", include("stalls.api.urls")),
    path("open/", include("opendata.api.urls")),
    path("livestream/", include("livestream.api.urls")),
    path("desk/", include("desk.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("privacy.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script) and
    # our template its styles (no inline style): the Content-Security-Policy needs no
    # exception for the docs.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="core/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # Uploads, only to who may see them (core.uploads): MEDIA_URL is "media/".
    path("media/<path:name>", serve_upload, name="upload"),
    path("q/<str:token>", scan_page, name="scan-page"),
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("display", display_mode, name="display-mode"),
    path("me/", my_points, name="my-points"),
    path("me/stalls", my_stalls, name="my-stalls"),
    path("cadre/reviews", cadre_reviews, name="cadre-reviews-page"),
    path("", include("accounts.urls")),
    path("", include("cadres.urls")),
    path("", include("rankings.urls")),
    path("", include("stalls.urls")),
    path("", include("opendata.urls")),
    path("", include("livestream.urls")),
    path("", include("desk.urls")),
    path("", include("notifications.urls")),
    path("", include("merchants.urls")),
    # Before the admin: the old addresses of the models that moved out of cadres.
    path("", include("config.moved_admin")),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
