"""gunicorn of a test's own: config/gunicorn.py on a free loopback port, its output
(the log lines) in a file the test reads; and plain HTTP calls to it."""

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.redis_server import free_port
from tests.workers import ROOT, database_url, stop_worker


class Gunicorn:
    """Started on construction (answering /healthz); `stop()` at the end. `env` adds to
    (or, a value None, removes from) the test's environment; the database is the test's."""

    def __init__(self, folder: Path, env: dict, workers: int = 2):
        self.port = free_port()
        self.log = folder / f"gunicorn-{self.port}.log"
        environment = {
            **os.environ,
            # The test's key: the tokens it makes are valid there.
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url(),
        }
        for name, value in env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
                + ["-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{self.port}"]
                + ["--workers", str(workers), "--threads", "2"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for _ in range(150):
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log.read_text()}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer")

    def call(self, method: str, path: str, body=None, headers=None):
        """(status, response headers (lower-case names), body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body).encode()
            sent = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_worker(self.process)
