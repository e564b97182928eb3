"""Prometheus metrics: values read at scrape time, so every gunicorn worker answers the same.

An app registers a sample function in its `AppConfig.ready()`, one line each:

    metrics.register_gauge("duoduo_sms_unknown", "SMS stuck in unknown.", selectors.sms_unknown)
    metrics.register_counter(
        "duoduo_admin_login_refused_total", "...", selectors.refusals, labels=("limit",)
    )

The function returns a number, or a dict from label values (a tuple, or one string for
one label) to numbers, read from the database or Redis when `/metrics` is scraped. No
value lives in a process's memory: a counter a request moves is stored durably with
`increment` (a `StoredCount` row per name and label values) and read back with
`stored_counts`.

`/metrics` answers loopback and the networks of METRICS_ALLOWED_NETWORKS; anyone else
gets 404. The address is `core.net.client_ip`'s (NUM_PROXIES); with NUM_PROXIES=0 a
request carrying X-Forwarded-For came through a proxy this deployment does not count,
whose own (perhaps loopback) address says nothing of the client, and is refused.
"""

import ipaddress
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from .models import StoredCount
from .net import client_ip

logger = logging.getLogger(__name__)

Sample = float | int | Mapping[tuple[str, ...] | str, float | int]


@dataclass(frozen=True)
class Registered:
    name: str
    help: str
    kind: str  # "counter" or "gauge"
    sample: Callable[[], Sample]
    labels: tuple[str, ...]


_registered: dict[str, Registered] = {}


def register_counter(
    name: str, help: str, sample: Callable[[], Sample], labels: tuple[str, ...] = ()
) -> None:
    """A counter read by `sample()` at each scrape (registering a name again replaces it)."""
    _registered[name] = Registered(name, help, "counter", sample, tuple(labels))


def register_gauge(
    name: str, help: str, sample: Callable[[], Sample], labels: tuple[str, ...] = ()
) -> None:
    """A gauge read by `sample()` at each scrape (registering a name again replaces it)."""
    _registered[name] = Registered(name, help, "gauge", sample, tuple(labels))


def unregister(name: str) -> None:
    """Stop exposing `name` (tests)."""
    _registered.pop(name, None)


def _family(item: Registered, value: Sample):
    family_class = CounterMetricFamily if item.kind == "counter" else GaugeMetricFamily
    family = family_class(item.name, item.help, labels=item.labels)
    if isinstance(value, Mapping):
        for key, number in sorted(value.items()):
            family.add_metric([key] if isinstance(key, str) else list(key), number)
    else:
        family.add_metric([], value)
    return family


class RegisteredCollector(Collector):
    """Every registered metric, sampled now. A sample that fails is left out (and logged),
    so one broken source does not hide the others."""

    def collect(self):
        for item in list(_registered.values()):
            try:
                value = item.sample()
            except Exception:
                logger.exception("metrics: sampling %s failed", item.name)
                continue
            yield _family(item, value)


registry = CollectorRegistry(auto_describe=False)
registry.register(RegisteredCollector())


def _labels_key(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(labels.items())), ensure_ascii=False, separators=(",", ":"))


def increment(name: str, **labels: str) -> None:
    """Add 1 to a stored counter, in the database: every process sees it, a restart keeps it."""
    key = _labels_key(labels)
    if StoredCount.objects.filter(name=name, labels=key).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            StoredCount.objects.create(name=name, labels=key, value=1)
    except IntegrityError:
        # Another request created the row first: count on it.
        StoredCount.objects.filter(name=name, labels=key).update(value=F("value") + 1)


def stored_counts(
    name: str, labels: tuple[str, ...], zeros: Iterable[tuple] = ()
) -> dict[tuple, int]:
    """The stored counter `name` by its label values (in the order of `labels`); each of
    `zeros` (label value tuples) is there even if never counted."""
    counts = {tuple(key): 0 for key in zeros}
    for row in StoredCount.objects.filter(name=name).values("labels", "value"):
        stored = json.loads(row["labels"])
        counts[tuple(stored.get(label, "") for label in labels)] = row["value"]
    return counts


@cache
def _networks(allowed: tuple[str, ...]):
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def may_scrape(request) -> bool:
    """Loopback, or an address in METRICS_ALLOWED_NETWORKS (see the module's docstring)."""
    if settings.NUM_PROXIES == 0 and "x-forwarded-for" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    return any(address in network for network in networks)


@never_cache
@require_GET
def metrics_view(request):
    """GET /metrics: the Prometheus text format, for who may scrape; 404 for anyone else."""
    if not may_scrape(request):
        raise Http404()
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
