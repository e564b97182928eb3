"""Small helpers shared by the benchmarks: a fresh database, gunicorn, tokens, and
closed-loop HTTP clients (stdlib http.client on threads) that report rps, p50 and p99.

    env = bench_env(db_name="duoduo_bench_x", redis_db=13)
    recreate_database(env)          # drop, create, migrate
    django_setup(env)               # this process talks to the same database
    server = start_gunicorn(env, port=8701)
    result = run_clients([("GET", "/healthz", {}), ...], clients=50, port=8701)
    print(result.line("healthz"))
    server.stop()
"""

import http.client
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def bench_env(*, db_name: str, redis_db: int, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{db_name}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_BASE", "redis://127.0.0.1:6379") + f"/{redis_db}",
        "SECRET_KEY": "bench-only-insecure-key-0123456789abcdef0123456789",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # The throttles still run (a Redis round trip each); they just never refuse.
        "THROTTLE_USER": "100000000/min",
        "THROTTLE_ANON": "100000000/min",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def recreate_database(env: dict) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    admin = f"{PG}/postgres"
    subprocess.run(
        ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True
    )
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def access_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.consent import CONSENT_CLAIM

    token = AccessToken.for_user(user)
    # As a sign-in's token: the accepted privacy notice's version (accounts/consent.py).
    token[CONSENT_CLAIM] = user.consent_version
    return str(token)


class Server:
    def __init__(self, process: subprocess.Popen):
        self.process = process

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_gunicorn(
    env: dict, *, port: int, workers: int = 4, threads: int = 4, config: str | None = None
) -> Server:
    """gunicorn on 127.0.0.1:`port`; `config` (e.g. "config/gunicorn.py") is read first,
    the flags here override it, and the access log is off."""
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            *(["-c", config, "--access-logfile", "/dev/null"] if config else []),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    # Two workers booting on a loaded 2-core machine can take longer than 30 s.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return Server(process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


@dataclass
class Result:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)
    status_of: list[int] = field(default_factory=list)

    def only(self, status: int) -> "Result":
        """The answers with this status (same duration: rps is their share of the run)."""
        picked = [
            lat for lat, st in zip(self.latencies, self.status_of, strict=True) if st == status
        ]
        return Result(seconds=self.seconds, latencies=picked, statuses={status: len(picked)})

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def line(self, label: str) -> str:
        return (
            f"{label:<34} {len(self.latencies):>6} req  {self.rps:>8.1f} rps  "
            f"p50 {self.percentile(0.50):>7.1f} ms  p99 {self.percentile(0.99):>7.1f} ms  "
            f"{dict(sorted(self.statuses.items()))}"
        )


def run_clients(requests: list[tuple], *, clients: int, port: int, keep_bodies=False) -> Result:
    """Closed loop: `clients` threads each send the next request as soon as one answers.

    A request is (method, path, headers) or (method, path, headers, body)."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for item in requests:
        work.put(item)
    lock = threading.Lock()
    result = Result(seconds=0.0)
    start_gate = threading.Barrier(clients + 1)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start_gate.wait()
        while True:
            try:
                method, path, headers, *body = work.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            try:
                conn.request(method, path, body[0] if body else None, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, body = 0, b""
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                result.status_of.append(status)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if keep_bodies:
                    result.bodies.append(body)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


def run_for(seconds: float, next_request, *, clients: int, port: int) -> Result:
    """Closed loop for `seconds`: `clients` threads each send `next_request()` (a
    (method, path, headers, body) tuple, called under a lock) as soon as one answers."""
    lock = threading.Lock()
    result = Result(seconds=0.0)
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                method, path, headers, body = next_request()
            started = time.perf_counter()
            try:
                conn.request(method, path, body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                result.status_of.append(status)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result
