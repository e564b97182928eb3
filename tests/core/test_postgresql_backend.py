"""core.postgresql: the health check of a persistent connection costs no round trip, and
still finds a connection the server has closed (a restart, a terminated backend)."""

import time

import pytest
from django.conf import settings
from django.db import connection

from tests.postgres_server import other_connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_it_is_the_engine_of_every_database():
    assert {db["ENGINE"] for db in settings.DATABASES.values()} == {"core.postgresql"}
    assert connection.vendor == "postgresql"


def test_a_healthy_connection_is_checked_without_a_query():
    """The server's view of the connection: its last statement is still ours, not a
    `SELECT 1` of the check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    assert connection.is_usable()
    connection.close_if_unusable_or_obsolete()  # a request starts
    connection.close_if_health_check_failed()  # its first query: the check
    assert connection.health_check_done
    with other_connection() as other:
        (query,) = other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
    assert query == "SELECT pg_backend_pid()"


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with other_connection() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    deadline = time.monotonic() + 10
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's goodbye is on its way
    assert not connection.is_usable()
    connection.close_if_unusable_or_obsolete()  # a request starts
    with connection.cursor() as cursor:  # its first query: checked, then a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
