"""Prometheus metrics: what a request or a task counts, kept in the process, and what the
database says, read at scrape time.

Counted as it happens (no SQL statement, no network): a counter or a histogram made here
once, at import, by the module that moves it, and moved where the thing happens:

    PAYMENTS = metrics.counter("duoduo_payments", "Payments by outcome.", ("outcome",))
    PAYMENTS.labels(outcome="made").inc()

A view's outcome (done, or the refused error's code) is counted by decorating its method
with `counts_outcomes(counter)`. Under gunicorn (several worker processes) and a Celery
worker's pool, prometheus_client's multiprocess mode adds up the processes: each writes
its values to files in PROMETHEUS_MULTIPROC_DIR (an environment variable, read when
prometheus_client is imported; config/gunicorn.py empties the folder at start and
forgets a dead worker's gauges). Without it (tests, `make run` with one process) the
values are the process's own.

Read at scrape time: an app registers a sample function in its `AppConfig.ready()`:

    metrics.register_gauge("duoduo_sms_unknown", "SMS stuck in unknown.", selectors.sms_unknown)

The function returns a number, or a dict from label values (a tuple, or one string for
one label) to numbers, read from the database or Redis when `/metrics` is scraped.

`/metrics` answers loopback and the networks of METRICS_ALLOWED_NETWORKS; anyone else
gets 404. The address is `core.net.client_ip`'s (NUM_PROXIES); with NUM_PROXIES=0 a
request carrying X-Forwarded-For came through a proxy this deployment does not count,
whose own (perhaps loopback) address says nothing of the client, and is refused.
The Celery worker serves the same text on CELERY_METRICS_PORT (core/observe.py).
"""

import functools
import ipaddress
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from rest_framework.exceptions import APIException

from .errors import DomainError, drf_code, service_down
from .net import client_ip

logger = logging.getLogger(__name__)

Sample = float | int | Mapping[tuple[str, ...] | str, float | int]


@dataclass(frozen=True)
class Registered:
    name: str
    help: str
    sample: Callable[[], Sample]
    labels: tuple[str, ...]


_registered: dict[str, Registered] = {}


def register_gauge(
    name: str, help: str, sample: Callable[[], Sample], labels: tuple[str, ...] = ()
) -> None:
    """A gauge read by `sample()` at each scrape (registering a name again replaces it)."""
    _registered[name] = Registered(name, help, sample, tuple(labels))


def unregister(name: str) -> None:
    """Stop exposing `name` (tests)."""
    _registered.pop(name, None)


def _family(item: Registered, value: Sample):
    family = GaugeMetricFamily(item.name, item.help, labels=item.labels)
    if isinstance(value, Mapping):
        for key, number in sorted(value.items()):
            family.add_metric([key] if isinstance(key, str) else list(key), number)
    else:
        family.add_metric([], value)
    return family


class RegisteredCollector(Collector):
    """Every registered gauge, sampled now. A sample that fails is left out (and logged),
    so one broken source does not hide the others."""

    def collect(self):
        for item in list(_registered.values()):
            try:
                value = item.sample()
            except Exception:
                logger.exception("metrics: sampling %s failed", item.name)
                continue
            yield _family(item, value)


# The counters and histograms of this process (and, without multiprocess mode, what
# /metrics serves of them).
live = CollectorRegistry(auto_describe=True)
sampled = RegisteredCollector()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


# The folder must exist before the first counter is made (at import, below and in the apps).
if multiprocess_dir():
    Path(multiprocess_dir()).mkdir(parents=True, exist_ok=True)


def exposition(*, with_samples: bool = True) -> bytes:
    """The Prometheus text of every process's counters (multiprocess mode) or this one's,
    and, `with_samples`, the registered gauges read now."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Live())
    if with_samples:
        registry.register(sampled)
    return generate_latest(registry)


class _Live(Collector):
    def collect(self):
        return live.collect()


def counter(name: str, help: str, labels: Sequence[str] = ()) -> Counter:
    """A counter of this process (exposed as `<name>_total`)."""
    return Counter(name, help, tuple(labels), registry=live)


def histogram(name: str, help: str, labels: Sequence[str] = (), buckets=None) -> Histogram:
    """A histogram of this process (durations in seconds)."""
    if buckets is None:
        return Histogram(name, help, tuple(labels), registry=live)
    return Histogram(name, help, tuple(labels), registry=live, buckets=buckets)


def outcome_of(error: BaseException) -> str:
    """The error code a refused request answers with (`invalid`, `insufficient_points`...)."""
    if isinstance(error, DomainError):
        return error.code
    if service_down(error):
        return "service_unavailable"
    if isinstance(error, APIException):
        return drf_code(error)
    if isinstance(error, Http404):
        return "not_found"
    return "error"


def counts_outcomes(counter: Counter, done: str = "done"):
    """Decorate an API view's method: each call counts once on `counter`'s `outcome`
    label, `done` when it returns, else the error code it is refused with."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            try:
                response = method(*args, **kwargs)
            except Exception as error:
                counter.labels(outcome=outcome_of(error)).inc()
                raise
            # A refusal answered, not raised (a stored answer replayed, say): its code.
            refused = getattr(response, "status_code", 200) >= 400
            code = getattr(response, "data", None) or {}
            counter.labels(outcome=code.get("code", "refused") if refused else done).inc()
            return response

        return wrapper

    return decorate


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
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
