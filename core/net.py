"""The client's address, the one place that decides which header to believe."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address the request came from, as the nearest trusted proxy saw it.

    With NUM_PROXIES=0 (the default) only REMOTE_ADDR counts: a client-made
    X-Forwarded-For is ignored. Behind N proxies, each appends the address it saw,
    so the N-th entry from the right is the one the first proxy wrote.
    """
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or ""
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            candidate = entries[-min(proxies, len(entries))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
