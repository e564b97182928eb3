"""bench/district_day.py's Sampler counts the CPU of a PostgreSQL backend that came and
went within a step, as the project's do (a connection lives DATABASE_CONN_MAX_AGE, about
a step): the capacity report's PostgreSQL figure once missed them and read about 0.02
cores under load. No timing here: the backend's own CPU, read before it closed, is the
measure."""

import time

import psutil
import pytest
from django.db import connection

from bench.district_day import Sampler
from tests.postgres_server import other_connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_it_counts_a_backend_that_started_and_ended_within_the_step():
    sampler = Sampler(server_pid=0, db=connection.settings_dict["NAME"], redis_pid=None, poll=0.1)
    sampler.start()
    with other_connection() as other:
        (pid,) = other.execute("SELECT pg_backend_pid()").fetchone()
        backend = psutil.Process(pid)
        other.execute("SELECT count(*) FROM generate_series(1, 3000000)").fetchone()
        times = backend.cpu_times()
        used = times.user + times.system
        # Idle now: the backend ends once the sampler's thread has seen all of it.
        deadline = time.monotonic() + 30
        while sampler.seen.get(pid, 0.0) < used and time.monotonic() < deadline:
            time.sleep(0.05)
    _gone, alive = psutil.wait_procs([backend], timeout=10)
    assert not alive  # it ended before the step did
    shares = sampler.take()
    assert used > 0.05  # the query did burn CPU in that backend
    assert sampler.used["postgres"] >= used
    assert shares["postgres"] > 0
