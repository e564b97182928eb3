"""Every notification the code can send opens a page, never JSON and never nothing.

The links are read from the source: every call that writes a notification (`notify`,
`notification_insert`, `broadcast_create`) must name a `link`, and each literal link given
to one of them or to a `*notify*` wrapper (an
f-string's fields filled with an id) must map (notifications/links.py) to a page that a
signed-in person gets as HTML."""

import ast
import pathlib
import re

import pytest
from django.conf import settings
from django.test import Client

from notifications.links import page_link

pytestmark = pytest.mark.django_db

APPS = [
    "accounts", "cadres", "config", "core", "desk", "livestream", "merchants",
    "moderation", "notifications", "opendata", "points", "privacy", "rankings", "stalls",
]  # fmt: skip
WRITERS = {"notify", "notification_insert", "broadcast_create"}


def _source_files():
    root = pathlib.Path(settings.BASE_DIR)
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" not in path.parts and "tests" not in path.parts:
                yield path


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _literal(node) -> str | None:
    """A link written in the code: a string, or an f-string with each field as 1."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "1" for part in node.values
        )
    return None  # passed through from a parameter (checked where it is written)


def notification_links() -> tuple[set[str], list[str]]:
    """(the literal links, the writer calls without a link)."""
    links, missing = set(), []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            link = next((kw.value for kw in node.keywords if kw.arg == "link"), None)
            if _name(node.func) in WRITERS and link is None:
                missing.append(f"{path}:{node.lineno}")
            writes = _name(node.func) in WRITERS or "notify" in _name(node.func)
            if writes and link is not None and (found := _literal(link)) is not None:
                links.add(found)
    return links, missing


def test_the_scan_finds_the_links_of_every_app():
    links, _missing = notification_links()
    for expected in (
        "/api/v1/stalls/1",
        "/api/v1/stalls/registrations",
        "/api/v1/stalls/reports/mine",
        "/api/v1/merchant/payments",
        "/api/v1/cadre/appeals",
        "/admin/",
    ):
        assert expected in links


def test_every_notification_is_written_with_a_link():
    _links, missing = notification_links()
    assert missing == []


def test_every_notification_link_opens_a_page(resident):
    links, _missing = notification_links()
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(resident)
    for link in sorted(links):
        page = page_link(link)
        assert page, f"{link} maps to no page"
        assert not page.startswith("/api/"), link
        path = page.split("#")[0]
        if path.startswith("/admin/"):
            continue  # the staff digest's link: the admin, a page of its own
        response = client.get(path)
        assert response.status_code == 200, (link, page, response.status_code)
        assert response["Content-Type"].startswith("text/html"), (link, page)


@pytest.mark.parametrize(
    ("link", "anchor"),
    [
        ("/api/v1/stalls/registrations", "registrations"),
        ("/api/v1/stalls/reports/mine", "reports"),
    ],
)
def test_a_vendors_notification_anchors_a_section_of_their_page(resident, link, anchor):
    page = page_link(link)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(resident)
    html = client.get(page.split("#")[0]).content.decode()
    assert re.search(rf'id="{anchor}"', html)
    assert page.endswith(f"#{anchor}")
