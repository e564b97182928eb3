"""`check --deploy --database default` warns (core.W001) while PostgreSQL's autovacuum or
track_counts is off: nothing would analyze the tables as they grow, and plans made on
the statistics of a table's first rows can read it whole (docs/prepared-statements.md)."""

import time

import psycopg
import pytest

from tests.core.test_settings import PRODUCTION_ENV, run_manage
from tests.postgres_server import own_postgres  # noqa: F401  (a fixture)


def _configure(server, name: str, value: str | None) -> None:
    """ALTER SYSTEM (RESET with None) and reload, then wait until new sessions see it."""
    with psycopg.connect(server.url, autocommit=True) as conn:
        if value is None:
            conn.execute(f"ALTER SYSTEM RESET {name}")
        else:
            conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        conn.execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 30
    while True:
        with psycopg.connect(server.url) as conn:
            if conn.execute(f"SHOW {name}").fetchone()[0] == (value or "on"):
                return
        assert time.monotonic() < deadline, f"{name} never became {value or 'on'}"
        time.sleep(0.1)


def _check_deploy(server):
    env = {**PRODUCTION_ENV, "DATABASE_URL": server.url}
    return run_manage(
        "check", "--deploy", "--database", "default", "--fail-level", "WARNING", env=env
    )


@pytest.mark.postgres
def test_it_warns_while_the_statistics_are_not_kept_and_not_once_they_are(own_postgres):  # noqa: F811
    try:
        _configure(own_postgres, "autovacuum", "off")
        result = _check_deploy(own_postgres)
        assert result.returncode != 0
        assert "core.W001" in result.stderr
        assert "has autovacuum off" in result.stderr

        _configure(own_postgres, "track_counts", "off")
        result = _check_deploy(own_postgres)
        assert "has autovacuum, track_counts off" in result.stderr
    finally:
        _configure(own_postgres, "autovacuum", None)
        _configure(own_postgres, "track_counts", None)
    result = _check_deploy(own_postgres)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core.W001" not in result.stderr


def test_check_deploy_without_database_asks_no_server():
    """Without --database the check is not run: CI and the image build check settings on
    a machine whose PostgreSQL is not the district's."""
    env = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
