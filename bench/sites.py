"""Benchmark: the public site list (with free slots) and the public stall view under load.

They are read by everyone who walks past a poster. This script:

1. recreates the PostgreSQL database `duoduo_bench_stalls`, migrates it, seeds the 13
   demo sites (150 slots) and fills 120 of the slots with approved stalls;
2. starts gunicorn on 127.0.0.1:8703 (Redis db 15 for cache and throttles);
3. drives each endpoint with concurrent clients for a fixed time and prints requests
   per second and latency percentiles, and each figure as a ratio to a plain endpoint
   that reads one row through the same stack (`/bench/one-row`, added only here).

    .venv/bin/python bench/sites.py [--seconds 8] [--concurrency 8] [--workers 3]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_REDIS
(default redis://127.0.0.1:6379/15).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8703
DB_NAME = "duoduo_bench_stalls"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")

ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": REDIS,
    "SECRET_KEY": "bench-only-insecure-key-0123456789abcdef0123456789",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    # The throttles still run (one Redis round trip each), they just never refuse.
    "THROTTLE_ANON": "100000000/min",
    "THROTTLE_USER": "100000000/min",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


# --- The gunicorn application: the project plus one plain endpoint for the baseline.


def _make_application():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.urls import path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from config import urls
    from stalls.models import Site

    class OneRowView(APIView):
        """The baseline: one primary-key read of one row, through DRF like the others."""

        permission_classes = [AllowAny]

        def get(self, request, pk):
            return Response(Site.objects.values("id", "name", "capacity").get(pk=pk))

    urls.urlpatterns.insert(0, path("bench/one-row/<int:pk>", OneRowView.as_view()))
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


if os.environ.get("BENCH_SITES_APP") == "1":
    application = _make_application()


# --- Setting up the database.


def _run(args, **kwargs):
    return subprocess.run(args, cwd=ROOT, env={**os.environ, **ENV}, check=True, **kwargs)


def prepare_database():
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"])
    script = """
from accounts.services import role_grant, user_get_or_create
from stalls import seed, services
from stalls.idcard import check_char
from stalls.models import Site
print(seed.run())
site = Site.objects.first()
officer = role_grant(phone="+8613700000001", role="urban_officer", links={"unit": site.unit_id})
n = 0
for site in Site.objects.order_by("pk"):
    for slot in range(1, site.capacity + 1):
        if n >= 120 or slot > site.capacity - 2:
            break
        vendor = user_get_or_create(phone=f"+86136{n:08d}")
        first17 = f"15060319800101{n % 1000:03d}"
        registration = services.registration_create(
            vendor=vendor, site=site, vendor_name="摊主", id_number=first17 + check_char(first17),
            goods_category=site.goods_categories[0],
        )
        services.registration_approve(registration=registration, officer=officer, slot=slot)
        n += 1
print(n, "stalls")
"""
    _run([sys.executable, "manage.py", "shell", "-c", script])
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def ids_for_targets():
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from stalls.models import Site, Stall; import json; "
            "print(json.dumps([Site.objects.order_by('pk').first().pk, "
            "Stall.objects.order_by('pk').first().pk]))",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- The load.


def _client(path, deadline, results):
    latencies = []
    errors = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        try:
            conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
        finally:
            conn.close()
        latencies.append(time.perf_counter() - start)
    results.append((latencies, errors))


def _process(path, deadline, threads, queue):
    results = []
    workers = [
        threading.Thread(target=_client, args=(path, deadline, results)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies = [value for chunk, _errors in results for value in chunk]
    queue.put((latencies, sum(errors for _chunk, errors in results)))


def load(path, *, seconds, concurrency):
    processes = max(1, min(4, concurrency))
    per_process = max(1, concurrency // processes)
    # A short warm-up, not measured.
    _process(path, time.perf_counter() + 1, 2, multiprocessing.Queue())
    queue = multiprocessing.Queue()
    started = time.perf_counter()
    deadline = started + seconds
    procs = [
        multiprocessing.Process(target=_process, args=(path, deadline, per_process, queue))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    chunks = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(value for chunk, _errors in chunks for value in chunk)
    errors = sum(errors for _chunk, errors in chunks)
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def wait_for_server(timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not come up on port {PORT}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--skip-setup", action="store_true")
    args = parser.parse_args()

    if not args.skip_setup:
        prepare_database()
    site_id, stall_id = ids_for_targets()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.sites:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV, "BENCH_SITES_APP": "1"},
        start_new_session=True,
    )
    try:
        wait_for_server()
        targets = [
            ("baseline: one row", f"/bench/one-row/{site_id}"),
            ("GET /api/v1/stalls/sites", "/api/v1/stalls/sites"),
            ("GET /api/v1/stalls/{id}", f"/api/v1/stalls/{stall_id}"),
        ]
        figures = {}
        for name, path in targets:
            figures[name] = load(path, seconds=args.seconds, concurrency=args.concurrency)
        base = figures["baseline: one row"]
        print(
            f"\n{args.concurrency} concurrent clients, {args.seconds:g}s each, "
            f"gunicorn {args.workers} sync workers, PostgreSQL + Redis\n"
        )
        print(
            f"{'endpoint':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rps ratio':>10} "
            f"{'p99 ratio':>10} {'errors':>7}"
        )
        for name, fig in figures.items():
            print(
                f"{name:28} {fig['rps']:8.1f} {fig['p50_ms']:8.1f} {fig['p99_ms']:8.1f} "
                f"{fig['rps'] / base['rps']:10.2f} {fig['p99_ms'] / base['p99_ms']:10.2f} "
                f"{fig['errors']:7d}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
