from django.urls import path, re_path

from . import pages

MONTH = r"(?P<month>[0-9]{4}-[0-9]{2})"

urlpatterns = [
    path("open/", pages.open_page, name="open"),
    path("open/index.json", pages.index_json, name="open-index"),
    path("open/feed.atom", pages.feed_atom, name="open-feed"),
    path("open/datapackage.json", pages.datapackage_json, name="open-datapackage"),
    path("open/verify_chain.py", pages.verifier_file, name="open-verifier"),
    re_path(
        rf"^open/rankings/{MONTH}/v(?P<version>[0-9]{{1,4}})\.(?P<fmt>json|csv)$",
        pages.version_file,
        name="open-version",
    ),
    re_path(rf"^open/stalls/{MONTH}\.(?P<fmt>json|csv)$", pages.stalls_file, name="open-stalls"),
]
