"""A real Celery worker process for tests: on the test database and the real Redis."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database's URL, for a process a test starts. The embedded server's host
    is its socket folder: it goes in the URL's query (`?host=`), as a path would not
    survive as a host name."""
    db = connection.settings_dict
    user, name, port = quote(db["USER"], safe=""), quote(db["NAME"], safe=""), db["PORT"] or 5432
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{user}@/{name}?host={quote(host, safe='')}&port={port}"
    return f"postgres://{user}@{host}:{port}/{name}"


def start_worker(queue: str, *, pool: str = "solo", env: dict | None = None) -> subprocess.Popen:
    """A worker consuming only `queue` (so parallel runs never steal each other's tasks).

    It leads a process group of its own: `os.killpg(worker.pid, SIGKILL)` kills it whole.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}"]
    return subprocess.Popen(
        [*command, "--concurrency=1", "-Q", queue, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    """Stop the worker and return what it logged."""
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output
