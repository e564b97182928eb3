"""Benchmark: a district's busy day, compressed: the highest offered rate the project holds.

1. Recreates the PostgreSQL database `bench_district_day` (or --db) and empties Redis
   db 13 (or --redis-db); loads by COPY `--residents` residents (default 100,000, phones
   confirmed, joined 30 days ago), 100 units and 5,000 cadres; `--payers` of them get
   points and `--merchants` merchants counter codes (bench/payments.py's make_people).
2. Starts the project under gunicorn (config/gunicorn.py, `--workers` 2, DEBUG off,
   throttles raised) on 127.0.0.1:8721.
3. Offers an open-loop mix at a rate stepped up by `--factor` each step (`--start`
   requests/s first), each step an equal share of `--minutes` (default 10): scans of a
   badge (POST /api/v1/scan), reviews (a resident's first of the day of a cadre),
   balances, payments at a counter (own Idempotency-Key), the signed-out leaderboard, and
   the 10:00 grab: each step opens a campaign of `--prizes` prizes (default 5% of the
   residents: 5,000 for 100,000) that its first tenth claims, distinct residents each.
   Latency is counted from each request's scheduled time (queueing included).
4. Per step: each path's count, p99 and errors (any status but the path's expected
   ones, or no answer; a grab's 409 sold out is an answer, not an error), and the CPU of gunicorn's workers, of this
   database's PostgreSQL backends and of Redis (psutil), the machine's CPU, the
   database's connections and Redis's clients. Prints the highest rate held with every
   p99 under 300 ms and no error, and what ran out first at the step that failed.

    .venv/bin/python bench/district_day.py [--minutes 10] [--start 20] [--factor 1.5]
        [--residents 100000] [--payers 2000] [--merchants 200] [--workers 2]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import http.client
import itertools
import json
import queue
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.common import (  # noqa: E402
    PG,
    access_token,
    bench_env,
    django_setup,
    recreate_database,
    start_gunicorn,
)
from bench.payments import make_people  # noqa: E402
from bench.rankings import copy_rows  # noqa: E402

PORT = 8721
P99_LIMIT_MS = 300.0
MIX = [("scan", 30), ("review", 15), ("balance", 25), ("payment", 10), ("leaderboard", 10)]
GRAB_SHARE = 0.5  # of the requests in a step's first tenth ("10:00")


def load(*, residents: int, cadres: int, units: int) -> None:
    from django.db import connection

    joined = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).isoformat()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(
            raw,
            "cadres_unit",
            ["id", "name", "kind"],
            ((u, f"单位{u:03d}", "bureau") for u in range(1, units + 1)),
        )
        copy_rows(
            raw,
            "cadres_cadre",
            ["id", "name", "title", "unit_id", "employee_number", "photo", "active"]
            + ["code_version", "rank"],
            (
                (c, f"干部{c:05d}", "科员", 1 + (c - 1) % units, f"D{c:06d}", "", "t", 1, "section")
                for c in range(1, cadres + 1)
            ),
        )
        copy_rows(
            raw,
            "accounts_user",
            ["id", "password", "is_superuser", "phone", "display_name", "is_staff"]
            + ["is_active", "date_joined", "phone_verified_at"],
            (
                (u, "!", "f", f"+86138{u:08d}", "", "f", "t", joined, joined)
                for u in range(1, residents + 1)
            ),
        )
        for table in ("cadres_unit", "cadres_cadre", "accounts_user"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        cursor.execute("VACUUM ANALYZE accounts_user")


class Sampler:
    """CPU of the processes of each kind over a step: gunicorn's workers, this database's
    PostgreSQL backends, Redis; and the machine's.

    A thread polls every process's CPU every `poll` seconds and adds what each used since
    it was last seen: a backend lives only `DATABASE_CONN_MAX_AGE` (60 s, a step), so
    the totals of the backends alive at a step's two ends would drop every backend that
    was replaced in between (the first version of this class did, and printed about 0.02
    cores for PostgreSQL). A process first seen after `start` counts all its CPU; one
    that ends loses at most its last `poll`. Backends are found by their process title
    (`postgres: ... <db> <host>(<port>) <state>`) among their server's children, so no
    connection of its own is needed and a poll reads a few dozen processes, not all.
    """

    def __init__(self, server_pid: int, db: str, redis_pid: int | None, *, poll: float = 0.5):
        self.server_pid, self.db, self.redis_pid, self.poll = server_pid, db, redis_pid, poll
        self.seen: dict[int, float] = {}
        self.used: dict[str, float] = {}
        self.machine = psutil.cpu_times()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.servers: list[psutil.Process] = []

    def backends(self) -> list[psutil.Process]:
        """This database's backends: among the children of the servers found holding one
        before (a few dozen processes), or among every process until then."""
        marker = f" {self.db} "
        if self.servers:
            candidates = []
            for server in self.servers:
                with contextlib.suppress(psutil.Error):
                    candidates += server.children()
        else:
            candidates = list(psutil.process_iter())
        found = []
        for proc in candidates:
            with contextlib.suppress(psutil.Error):
                title = " ".join(proc.cmdline())
                if title.startswith("postgres:") and marker in title:
                    found.append(proc)
        if not self.servers:
            with contextlib.suppress(psutil.Error):
                parents = {proc.ppid() for proc in found}
                self.servers = [psutil.Process(pid) for pid in parents if pid > 1]
        return found

    def processes(self) -> dict[str, list[psutil.Process]]:
        found: dict[str, list] = {"gunicorn": [], "postgres": self.backends(), "redis": []}
        with contextlib.suppress(psutil.Error):
            found["gunicorn"] = psutil.Process(self.server_pid).children()
        if self.redis_pid:
            with contextlib.suppress(psutil.Error):
                found["redis"].append(psutil.Process(self.redis_pid))
        return found

    def sample(self, *, count: bool = True) -> None:
        """Add each process's CPU since it was last seen (`count=False`: only note it).
        Called by the polling thread alone between `start` and `take`."""
        for kind, procs in self.processes().items():
            for proc in procs:
                try:
                    times = proc.cpu_times()
                except psutil.Error:
                    continue
                total = times.user + times.system
                before = self.seen.get(proc.pid, 0.0)
                self.seen[proc.pid] = total
                if count:
                    self.used[kind] += max(0.0, total - before)

    def _run(self) -> None:
        while not self.stopped.wait(self.poll):
            self.sample()

    def start(self) -> None:
        self.seen, self.used = {}, {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}
        self.sample(count=False)
        self.machine = psutil.cpu_times()
        self.started = time.monotonic()
        self.stopped.clear()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def take(self) -> dict[str, float]:
        """Each kind's CPU in cores over the step, and the machine's busy share."""
        self.stopped.set()
        if self.thread:
            self.thread.join()
        self.sample()
        seconds = time.monotonic() - self.started
        shares = {kind: used / seconds for kind, used in self.used.items()}
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - sum(self.machine) + self.machine.idle
        shares["machine"] = busy / (sum(machine) - sum(self.machine) or 1) * psutil.cpu_count()
        return shares


def connection_counts(db: str, redis_url: str) -> tuple[int, int]:
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [db])
        pg = cursor.fetchone()[0]
    client = redis.Redis.from_url(redis_url)
    try:
        return pg, client.info("clients")["connected_clients"]
    finally:
        client.close()


def run_step(rate: float, seconds: float, requests, workers: int):
    """Open loop: request i is due at i / rate; `workers` threads send them."""
    due: queue.Queue = queue.Queue()
    results: dict[str, list] = defaultdict(list)
    errors: dict[str, dict[int, int]] = defaultdict(dict)
    lock = threading.Lock()
    begin = time.perf_counter() + 0.2
    total = int(rate * seconds)

    def sender():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while True:
            item = due.get()
            if item is None:
                break
            at, (path, method, url, headers, body, fine) = item
            wait = at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            status = 0
            for _attempt in range(2):
                # A kept-alive connection the server closed while idle is the client's
                # artefact, not the server's error: once more on a fresh connection.
                try:
                    conn.request(method, url, body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            elapsed = time.perf_counter() - at
            with lock:
                results[path].append(elapsed)
                if status not in fine:
                    errors[path][status] = errors[path].get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for i in range(total):
        due.put((begin + i / rate, requests(i, total)))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return results, errors


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--start", type=float, default=20.0)
    parser.add_argument("--factor", type=float, default=1.5)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--prizes", type=int, default=0, help="default: 5%% of the residents")
    parser.add_argument("--payers", type=int, default=2000)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--cadres", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--senders", type=int, default=128)
    parser.add_argument("--db", default="bench_district_day")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    prizes = args.prizes or max(1, args.residents // 20)

    env = bench_env(db_name=args.db, redis_db=args.redis_db)
    subprocess.run(
        ["redis-cli", "-n", str(args.redis_db), "flushdb"], check=True, capture_output=True
    )
    recreate_database(env)
    server = None
    try:
        django_setup(env)
        from django.utils import timezone

        from accounts.models import User
        from cadres import qr
        from cadres.models import Cadre
        from points import campaigns

        load(residents=args.residents, cadres=args.cadres, units=100)
        payers, shops = make_people(residents=args.payers, merchants=args.merchants)
        residents = list(User.objects.filter(phone__startswith="+86138").order_by("pk"))
        tokens = [access_token(user) for user in residents]
        payer_tokens = [access_token(user) for user in payers]
        codes = [(c.pk, qr.badge_url(c)) for c in Cadre.objects.order_by("pk")]
        print(
            f"{len(residents):,} residents, {len(codes):,} cadres, {len(payers):,} payers, "
            f"{len(shops)} merchants; {prizes:,} prizes a grab; gunicorn {args.workers} workers"
        )
        server = start_gunicorn(env, port=PORT, workers=args.workers, config="config/gunicorn.py")
        redis_pid = next(
            (p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"),
            None,
        )
        sampler = Sampler(server.process.pid, args.db, redis_pid)
        rng = random.Random(25)
        names = [name for name, weight in MIX for _ in range(weight)]
        pairs = itertools.count()
        payer_turn = itertools.count()
        step_seconds = args.minutes * 60 / args.steps
        held, failed = None, None
        rate = args.start
        for step in range(1, args.steps + 1):
            now = timezone.now()
            campaign = campaigns.campaign_create(
                title=f"10:00 grab, step {step}",
                starts_at=now - dt.timedelta(seconds=1),
                ends_at=now + dt.timedelta(hours=2),
                points_per_claim=10,
                claims=prizes,
                created_by=None,
            )
            claimants = iter(rng.sample(range(len(tokens)), len(tokens)))

            def auth(token):
                return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

            def requests(i, total, campaign=campaign, claimants=claimants):
                if i < total // 10 and rng.random() < GRAB_SHARE:
                    who = next(claimants, None)
                    if who is not None:
                        url = f"/api/v1/points/campaigns/{campaign.pk}/claim"
                        return ("grab", "POST", url, auth(tokens[who]), None, {200, 201, 409})
                name = rng.choice(names)
                if name == "scan":
                    cadre_id, code = rng.choice(codes)
                    body = json.dumps({"code": code})
                    token = rng.choice(tokens)
                    return (name, "POST", "/api/v1/scan", auth(token), body, {200})
                if name == "review":
                    n = next(pairs)
                    cadre_id, code = codes[n % len(codes)]
                    token = tokens[(n // len(codes) + n) % len(tokens)]
                    body = json.dumps({"code": code, "rating": 5, "tags": ["attitude"]})
                    url = f"/api/v1/cadres/{cadre_id}/reviews"
                    return (name, "POST", url, auth(token), body, {201, 409})
                if name == "balance":
                    token = rng.choice(tokens)
                    return (name, "GET", "/api/v1/points/balance", auth(token), None, {200})
                if name == "payment":
                    token = payer_tokens[next(payer_turn) % len(payer_tokens)]
                    _shop, code = rng.choice(shops)
                    headers = {**auth(token), "Idempotency-Key": str(uuid.uuid4())}
                    body = json.dumps({"code": code, "amount_points": 1})
                    return (name, "POST", "/api/v1/points/payments", headers, body, {201})
                return (name, "GET", "/leaderboard/", {}, None, {200})

            sampler.start()
            results, errors = run_step(rate, step_seconds, requests, args.senders)
            cpu = sampler.take()
            pg_conns, redis_clients = connection_counts(args.db, env["REDIS_URL"])
            worst = max(p99(v) for v in results.values())
            ok = worst < P99_LIMIT_MS and not any(errors.values())
            print(
                f"step {step}: offered {rate:7.1f} req/s for {step_seconds:.0f} s -> "
                f"{'HELD' if ok else 'NOT held'}; CPU (cores of {psutil.cpu_count()}): "
                f"gunicorn {cpu['gunicorn']:.2f}, PostgreSQL {cpu['postgres']:.2f}, "
                f"Redis {cpu['redis']:.2f}, machine {cpu['machine']:.2f}; "
                f"PostgreSQL connections {pg_conns}, Redis clients {redis_clients}"
            )
            for path in sorted(results):
                print(
                    f"    {path:<12} {len(results[path]):>6} req  p99 {p99(results[path]):8.1f} ms"
                    f"  errors {errors.get(path) or 0}"
                )
            if not ok:
                failed = (rate, cpu)
                break
            held = rate
            rate *= args.factor
        print(
            f"highest rate held (every p99 < {P99_LIMIT_MS:.0f} ms, no error): "
            + (f"{held:.1f} req/s" if held else "none (the first step failed)")
        )
        if failed:
            rate, cpu = failed
            workers_busy = cpu["gunicorn"] / args.workers
            first = max(
                [
                    ("gunicorn's workers (CPU per worker, one GIL each)", workers_busy),
                    ("PostgreSQL backends (CPU)", cpu["postgres"] / psutil.cpu_count()),
                    ("Redis (CPU, one thread)", cpu["redis"]),
                    ("the machine's cores (shared)", cpu["machine"] / psutil.cpu_count()),
                ],
                key=lambda item: item[1],
            )
            print(
                f"at {rate:.1f} req/s the busiest resource: {first[0]} at {100 * first[1]:.0f}% "
                f"of its capacity"
            )
        else:
            print("no step failed: raise --start or --factor")
    finally:
        if server:
            server.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(
                [
                    "psql",
                    f"{PG}/postgres",
                    "-qc",
                    f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)',
                ],
                check=False,
            )


if __name__ == "__main__":
    main()
