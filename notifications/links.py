"""The page a notification's link opens when tapped on the notifications page.

A notification stores the API path the phone app follows (`link`, unchanged in the API);
on a page a tap must open a page, never JSON. Each API path that has a page maps to it
(the person's own pages are composed in config/mine.py); an API path without a page gets
no link, and any other link (a page, the admin) is kept."""

import re

API_PREFIX = "/api/"

PAGE_LINKS = [
    (re.compile(r"^/api/v1/cadre/reviews$"), r"/cadre/reviews"),
    (re.compile(r"^/api/v1/cadre/appeals$"), r"/cadre/reviews#appeals"),
    (re.compile(r"^/api/v1/reviews/([0-9]+)/response$"), r"/cadre/reviews#review-\1"),
    (re.compile(r"^/api/v1/reviews/([0-9]+)/verdict$"), r"/me/#review-\1"),
    (re.compile(r"^/api/v1/points/redemptions$"), r"/me/#vouchers"),
    (re.compile(r"^/api/v1/points/moral/claims$"), r"/me/#balance"),
    (re.compile(r"^/api/v1/points/balance$"), r"/me/"),
    (re.compile(r"^/api/v1/points/campaigns/[0-9]+/claim$"), r"/me/"),
    (re.compile(r"^/api/v1/points/payments$"), r"/me/#payments"),
    (re.compile(r"^/api/v1/merchant/payments$"), r"/merchant/#payments"),
    (re.compile(r"^/api/v1/stalls/registrations$"), r"/me/stalls#registrations"),
    (re.compile(r"^/api/v1/stalls/([0-9]+)$"), r"/me/stalls#stall-\1"),
    (re.compile(r"^/api/v1/stalls/reports/mine$"), r"/me/stalls#reports"),
]


def page_link(link: str) -> str:
    """The page `link` opens on a page; "" when there is none."""
    if not link.startswith(API_PREFIX):
        return link
    for pattern, page in PAGE_LINKS:
        if pattern.match(link):
            return pattern.sub(page, link)
    return ""
