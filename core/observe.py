"""What a request and a task leave behind: the request id, one log line each, and their
counts and durations (core/metrics.py, core/logs.py).

`RequestMiddleware` (first of MIDDLEWARE) takes the request id from `X-Request-Id` or
makes one, returns it in the response's `X-Request-Id` (the error body carries it too),
counts the request by view, method and status with its duration, and with
LOG_FORMAT=json writes one line: time, request_id, method, route (the URL pattern, never
the path: a path may hold a code's token), view, status, duration_ms, user_id.

The Celery hooks (connected by `CoreConfig.ready`, in the web processes and the worker):
a task queued while a request runs carries its id in the message's headers
(`request_id`); the worker makes it the current id while the task runs, so its log lines,
and those of the SMS it sends (notifications.delivery logs each one), carry it. Each
run is counted by task and state with its duration, each failure by task, and with
LOG_FORMAT=json logged in one line. The worker serves its counts on CELERY_METRICS_PORT.
"""

import logging
import os
import time
from pathlib import Path

from celery import signals
from django.conf import settings
from django.utils.functional import LazyObject
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

from . import metrics
from .logs import (
    current_request_id,
    new_request_id,
    reset_request_id,
    set_request_id,
    valid_request_id,
)

logger = logging.getLogger("duoduo.request")
task_logger = logging.getLogger("duoduo.task")

REQUESTS = metrics.counter(
    "duoduo_http_requests",
    "Requests answered, by view, method and status.",
    ("view", "method", "status"),
)
REQUEST_SECONDS = metrics.histogram(
    "duoduo_http_request_duration_seconds",
    "Time to answer a request, by view, method and status.",
    ("view", "method", "status"),
)
TASK_RUNS = metrics.counter(
    "duoduo_celery_task_runs", "Celery task runs, by task and final state.", ("task", "state")
)
TASK_FAILURES = metrics.counter(
    "duoduo_celery_task_failures", "Celery task failures, by task.", ("task",)
)
TASK_SECONDS = metrics.histogram(
    "duoduo_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ("task",),
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)

# Health checks and scrapes, answered before the URLs are resolved.
_UNRESOLVED_NAMES = {"/healthz": "healthz", "/readyz": "readyz"}


def _view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.func.__name__
    return _UNRESOLVED_NAMES.get(request.path, "unmatched")


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return "/" + match.route if match is not None else _UNRESOLVED_NAMES.get(request.path, "")


def _user_id(request) -> int | None:
    """The user the request was answered for, if one was known: DRF's (a token) replaces
    Django's lazy user on the request; Django's is read only if the view read it (no
    query of its own)."""
    user = vars(request).get("user")
    if isinstance(user, LazyObject):
        user = vars(request).get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def request_answered(request, *, view: str, status: int, started: float, route=None) -> None:
    """Count a request answered with `status` since `started` (time.perf_counter), and
    with LOG_FORMAT=json write its line: by RequestMiddleware, and by what answers in
    front of it (config/stored_answers.py). `route`: the URL pattern, when the request
    was not resolved."""
    seconds = time.perf_counter() - started
    REQUESTS.labels(view=view, method=request.method, status=str(status)).inc()
    REQUEST_SECONDS.labels(view=view, method=request.method, status=str(status)).observe(seconds)
    if settings.LOG_FORMAT == "json":
        route = _route(request) if route is None else route
        logger.info(
            "%s %s %s",
            request.method,
            route,
            status,
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "view": view,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "user_id": _user_id(request),
                }
            },
        )


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_request_id(request.headers.get("X-Request-Id")) or new_request_id()
        token = set_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-Id"] = request_id
            request_answered(
                request, view=_view_label(request), status=response.status_code, started=started
            )
            return response
        finally:
            reset_request_id(token)


# --- Celery.

# Task id -> (start, the request id token), for the run in this process.
_running: dict[str, tuple[float, object]] = {}


def task_published(headers=None, **kwargs) -> None:
    """before_task_publish: the current request id goes into the task's headers."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def task_started(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the request id that queued it is the current one while it runs."""
    # Run eagerly (no broker) inside the request: that request's id.
    request_id = valid_request_id(getattr(task.request, "request_id", None)) or (
        current_request_id()
    )
    _running[task_id] = (time.perf_counter(), set_request_id(request_id))


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    """task_postrun: counted, timed, logged (JSON), and the request id forgotten."""
    started, token = _running.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    TASK_RUNS.labels(task=task.name, state=state or "UNKNOWN").inc()
    TASK_SECONDS.labels(task=task.name).observe(seconds)
    try:
        if settings.LOG_FORMAT == "json":
            task_logger.info(
                "%s %s",
                task.name,
                state,
                extra={
                    "fields": {
                        "task": task.name,
                        "task_id": task_id,
                        "state": state,
                        "duration_ms": round(seconds * 1000, 1),
                    }
                },
            )
    finally:
        if token is not None:
            reset_request_id(token)  # type: ignore[arg-type]


def task_failed(sender=None, **kwargs) -> None:
    """task_failure: one failure of `sender`."""
    TASK_FAILURES.labels(task=sender.name).inc()


def worker_logging(**kwargs) -> None:
    """setup_logging (LOG_FORMAT=json): Django's LOGGING, already configured, stays the
    worker's (Celery would otherwise put its own format on the root logger)."""


def worker_started(**kwargs) -> None:
    """worker_init: serve the worker's counts on CELERY_METRICS_PORT (0: not served).
    With PROMETHEUS_MULTIPROC_DIR, the pool's processes add up (files of an earlier run
    are removed first); without it only the main process's counts are seen, which is the
    whole worker with `--pool=solo` or threads."""
    port = settings.CELERY_METRICS_PORT
    if not port:
        return
    folder = metrics.multiprocess_dir()
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink(missing_ok=True)
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = metrics.live
    start_http_server(port, addr=settings.CELERY_METRICS_ADDRESS, registry=registry)
    logging.getLogger(__name__).info(
        "Celery metrics on %s:%s (process %s)", settings.CELERY_METRICS_ADDRESS, port, os.getpid()
    )


def celery_signals_connect() -> None:
    """Connect the Celery hooks above (CoreConfig.ready: in the web processes and the
    worker alike)."""
    signals.before_task_publish.connect(task_published, weak=False)
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    signals.task_failure.connect(task_failed, weak=False)
    signals.worker_init.connect(worker_started, weak=False)
    if settings.LOG_FORMAT == "json":
        signals.setup_logging.connect(worker_logging, weak=False)
