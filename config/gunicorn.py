"""gunicorn's settings, shared by the Dockerfile, docker-compose, CI and the benchmarks.

Command-line flags (--bind, --workers, --threads) override these.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

bind = "0.0.0.0:8000"
workers = 4
threads = 4
# gthread, answering gunicorn's own refusals (below) with the API's JSON error body.
worker_class = "config.gunicorn_worker.JsonErrorThreadWorker"
# Size limits on what gunicorn parses before Django sees anything. Without them (0) a
# 20 MB request line took a worker 108 s of CPU; with them it is refused at once.
# 8190 bytes is gunicorn's largest request line; a header field gets as much, and a
# request at most 100 header fields (gunicorn's default).
# gunicorn answers such a request itself (400 for the request line, 431 for a header);
# its page is HTML, which CI's schemathesis run refuses (it checks content types against
# the schema, and its negative cases send overlong values), so the worker class above
# sends the API's JSON error body instead, and the schema documents 431. No conforming
# request comes near these sizes: every string parameter has a documented maxLength and
# every integer one a 64-bit range (core.schema.bound_parameters).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# With LOG_FORMAT=json the application writes one JSON line per request itself
# (core/observe.py); gunicorn's own text access line would only double it.
accesslog = None if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "-"


# /metrics under several workers: prometheus_client's multiprocess mode, each worker's
# values in files of PROMETHEUS_MULTIPROC_DIR (core/metrics.py), emptied at start.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
