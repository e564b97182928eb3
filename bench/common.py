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
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def grant_points(users, points: int) -> None:
    """`points` redeemable points to each of `users` from issuance, one ledger posting
    each (an account each, created by its first), 500 postings a transaction."""
    from django.db import transaction

    from points import ledger
    from points.models import Currency, LedgerTransaction

    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    for start in range(0, len(users), 500):
        with transaction.atomic():
            for user in users[start : start + 500]:
                ledger.post(
                    reason=LedgerTransaction.Reason.ADJUSTMENT,
                    reference=f"bench:{user.pk}",
                    lines=[
                        (issuance, -points),
                        (ledger.resident_account_unsaved(user_id=user.pk), points),
                    ],
                    savepoint=False,
                )


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
    env: dict,
    *,
    port: int,
    workers: int = 4,
    threads: int = 4,
    config: str | None = None,
    app: str = "config.wsgi",
) -> Server:
    """gunicorn serving `app` on 127.0.0.1:`port`; `config` (e.g. "config/gunicorn.py")
    is read first, the flags here override it, and the access log is off."""
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            *(["-c", config, "--access-logfile", "/dev/null"] if config else []),
            app,
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
    # Two Django projects importing at once on a shared, busy machine can take a while.
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


def start_ceiling(env: dict, *, port: int, workers: int) -> Server:
    """A ceiling of issue 25: the separate Django project of bench/ceiling_settings.py
    (no app, no middleware, nothing in front) under the project's gunicorn settings."""
    return start_gunicorn(
        {**env, "DJANGO_SETTINGS_MODULE": "bench.ceiling_settings"},
        port=port,
        workers=workers,
        config="config/gunicorn.py",
        app="bench.ceiling_wsgi",
    )


def start_floor(env: dict, *, port: int, workers: int) -> Server:
    """The floor of a write (bench/floor_wsgi.py: the project's work without the web
    framework) under the project's gunicorn settings."""
    return start_gunicorn(
        env, port=port, workers=workers, config="config/gunicorn.py", app="bench.floor_wsgi"
    )


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


def fetch(port: int, path: str) -> tuple[int, bytes, str]:
    """One GET from 127.0.0.1: the status, the body and its content type."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")
    finally:
        conn.close()


# Where a stored read's ceiling (bench/ceiling_urls.py, stored_bytes) finds its bytes.
STORED = "bench:stored:"


def store_bytes(store, name: str, body: bytes, content_type: str) -> None:
    """Puts the bytes the project sent for `name` where the ceiling reads them."""
    store.mset({f"{STORED}{name}:body": body, f"{STORED}{name}:type": content_type})


def spread(values: list[float], digits: int = 1) -> str:
    """The median of the rounds and their range."""
    median, low, high = statistics.median(values), min(values), max(values)
    return f"median {median:8.{digits}f}  (min {low:.{digits}f}, max {high:.{digits}f})"


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


@dataclass
class Phase:
    """One side's timed phase: its good answers a second and the line to print."""

    rps: float
    text: str


def threads_phase(next_request, *, port: int, clients: int, status: int):
    """A side measured by `run_for` (Python threads); `status` is the good answer's."""

    def phase(seconds: float, label: str) -> Phase:
        result = run_for(seconds, next_request, clients=clients, port=port)
        return Phase(result.only(status).rps, result.line(label))

    return phase


WRK_SCRIPT = ROOT / "bench" / "wrk_requests.lua"


def wrk_present() -> bool:
    return shutil.which("wrk") is not None


def write_requests(path: Path, requests) -> int:
    """The requests wrk sends, in order, one a line (bench/wrk_requests.lua): method,
    path, bearer token (or empty), body (or empty), and an Idempotency-Key (or nothing),
    tab-separated."""
    count = 0
    with path.open("w") as out:
        for method, url, token, body, *key in requests:
            for text in (url, token, body, *key):
                assert "\t" not in text and "\n" not in text, text
            out.write("\t".join((method, url, token, body, *key)) + "\n")
            count += 1
    return count


def wrk_phase(requests_file: Path, *, port: int, clients: int, once: bool = False):
    """A side measured by wrk (one thread, `clients` connections) sending the lines of
    `requests_file` in turn. `once`: every line at most once across the phases (each
    phase starts after the lines the previous ones sent; the line count must suffice,
    or the repeated ones show as errors)."""
    sent = [0]

    def phase(seconds: float, label: str) -> Phase:
        completed = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{seconds:g}s",
                "--timeout",
                "60s",
                "-s",
                str(WRK_SCRIPT),
                f"http://127.0.0.1:{port}",
                "--",
                str(requests_file),
                str(sent[0]),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        report = next(
            line for line in completed.stdout.splitlines() if line.startswith("wrk-report ")
        )
        micros, requests, bad_status, *socket_errors, p50, p99 = report.split()[1:]
        duration, requests = int(micros) / 1e6, int(requests)
        failed = int(bad_status) + sum(int(n) for n in socket_errors)
        if once:
            # The ones still in flight at the deadline were sent too (never answered).
            sent[0] += requests + clients
        good = max(0, requests - failed)
        text = (
            f"{label:<34} {requests:>6} req  {good / duration:>8.1f} rps  "
            f"p50 {float(p50) / 1000:>7.1f} ms  p99 {float(p99) / 1000:>7.1f} ms  "
            f"(wrk) {failed} failed"
        )
        return Phase(good / duration, text)

    return phase


def write_sides(project, ceiling, floor, *, port: int, clients: int, threads_client: bool):
    """The three sides of a write benchmark (issue 25): `project`, `ceiling` and `floor`
    are finite iterables of requests (method, path, bearer token or "", JSON body[,
    Idempotency-Key]), each sent once, the project on `port`, the ceiling on the next one
    and the floor (bench/floor_wsgi.py) on the one after. By wrk when it is installed and
    `threads_client` is not asked for (the lines written to a temporary folder), else by
    as many Python threads, which count a 201 as success. Returns (project phase, ceiling
    phase, floor phase, the client's description)."""
    sides = (project, ceiling, floor)
    if wrk_present() and not threads_client:
        folder = Path(tempfile.mkdtemp(prefix="bench-sides-"))
        phases = []
        for offset, (name, requests) in enumerate(
            zip(("project", "ceiling", "floor"), sides, strict=True)
        ):
            write_requests(folder / f"{name}.tsv", requests)
            phases.append(
                wrk_phase(folder / f"{name}.tsv", port=port + offset, clients=clients, once=True)
            )
        return (*phases, "wrk (1 thread)")

    def as_request(requests):
        turn = iter(requests)

        def make():
            method, url, token, body, *key = next(turn)
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            if key:
                headers["Idempotency-Key"] = key[0]
            return method, url, headers, body

        return make

    client = "Python threads" if wrk_present() else "Python threads (wrk is not installed)"
    return (
        *(
            threads_phase(as_request(requests), port=port + offset, clients=clients, status=201)
            for offset, requests in enumerate(sides)
        ),
        client,
    )


def print_floor(rates: dict[str, list[float]], *, project: str, ceiling: str) -> None:
    """The floor's ratios per round (bench/floor_wsgi.py, the side named "floor"): what
    the work allows against the ceiling, and what the framework leaves of it."""
    floor = rates["floor"]
    allowed = [f / c if c else 0.0 for f, c in zip(floor, rates[ceiling], strict=True)]
    kept = [p / f if f else 0.0 for p, f in zip(rates[project], floor, strict=True)]
    print(f"ratio floor / ceiling    {spread(allowed, digits=3)}  (the work, no framework)")
    print(f"ratio project / floor    {spread(kept, digits=3)}  (what the framework leaves)")


def compare_rounds(
    sides: dict, *, rounds: int, seconds: float, warm_up: float = 2.0
) -> tuple[dict[str, list[float]], list[float]]:
    """The issue-25 method: a warm-up of each side (not counted), then `rounds` rounds
    of `seconds`-second phases of the `sides` (name -> phase function), alternating
    which goes first. Prints every phase and each round's ratio (first side / second);
    returns the rates per side and the ratios."""
    names = list(sides)
    for name in names:
        sides[name](warm_up, f"warm-up: {name}")
    rates: dict[str, list[float]] = {name: [] for name in names}
    ratios = []
    for number in range(1, rounds + 1):
        for name in names if number % 2 else reversed(names):
            phase = sides[name](seconds, f"round {number}: {name}")
            print(phase.text)
            rates[name].append(phase.rps)
        ceiling = rates[names[1]][-1]
        ratios.append(rates[names[0]][-1] / ceiling if ceiling else 0.0)
        print(f"round {number}: ratio {ratios[-1]:.3f}  (load average {load_average()})")
    return rates, ratios
