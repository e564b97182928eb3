"""`make backup-drill`: a base backup and archived WAL restored to a point in time, for real
(docs/backup.md).

1. Starts its own PostgreSQL cluster (Debian's /usr/lib/postgresql/15/bin, never the
   system cluster) in a temporary folder, on a free loopback port, with WAL archiving
   (`archive_command` copies each segment to a folder).
2. Migrates, loads the demo district and prints a badge (its URL signed with the drill's
   SECRET_KEY, the key a district escrows), then takes the base backup (pg_basebackup).
3. Writes reviews, payments and a publication through the project's services
   (ops/drill_data.py), notes the counts and the time, then writes more (another month's
   reviews, payments and publication), and switches the WAL so that all of it is archived.
4. Restores the base backup into a NEW cluster with `recovery_target_time` at the noted
   time, replaying the archived WAL, and there checks: verify_ledger, every published
   digest and the chain (rankings/verify_chain.py over /open/), the counts equal those
   noted (none of the later writes), the badge printed before the backup resolves with the
   escrowed SECRET_KEY and is refused with any other.

Prints one summary line; exit status 1 on any difference. As root, PostgreSQL's programs
run as the system user `postgres` (initdb refuses root). Standard library only.
"""

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[1]
DATA_SCRIPT = ROOT / "ops" / "drill_data.py"
# The key the district escrows (docs/backup.md); the drill's own, never a real one.
ESCROWED_SECRET_KEY = "backup-drill-escrowed-secret-key-0123456789abcdefghijklmnop"  # noqa: S105 (a drill key)
OTHER_SECRET_KEY = "backup-drill-some-other-secret-key-0123456789abcdefghijklmno"  # noqa: S105
SYSTEM_USER = "postgres"


class DrillFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_owner() -> list[str]:
    """The prefix that runs PostgreSQL's programs: as root, as the system user postgres."""
    return ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []


def chown(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def run(*command: str, env: dict | None = None) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=900, check=False
    )
    if done.returncode != 0:
        raise DrillFailed(f"{' '.join(command[:3])}... failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def pg(program: str, *args: str) -> str:
    return run(*as_owner(), str(PG_BIN / program), *args)


class Cluster:
    """A cluster in `folder`/`name`, started with pg_ctl on a free loopback port."""

    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.data = folder / name
        self.log = folder / f"{name}.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/duoduo"

    def configure(self, *settings: str) -> None:
        """Append settings to the cluster's postgresql.conf (a later line wins)."""
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n".join(("# backup drill", *settings, "")))

    def start(self) -> None:
        self.configure(
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.folder}'",
        )
        pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "300", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *as_owner(),
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=120,
                check=False,
            )

    def sql(self, query: str, database: str = "duoduo") -> str:
        return pg(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-AtXq",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            query,
        ).strip()


def django(cluster: Cluster, folder: Path, *args: str, secret_key: str = ESCROWED_SECRET_KEY):
    """ops/drill_data.py's JSON answer, run against `cluster`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "DJANGO_", "SMS_", "CELERY"))
    }
    env.update(
        SECRET_KEY=secret_key,
        DATABASE_URL=cluster.url,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        PUBLIC_BASE_URL="https://duoduo.example.cn",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(folder / "sms.jsonl"),
        MEDIA_ROOT=str(folder / "media"),
    )
    out = run(sys.executable, str(DATA_SCRIPT), *args, env=env)
    return json.loads(out.strip().splitlines()[-1])


def wait_archived(cluster: Cluster) -> None:
    """Close the current WAL segment and wait until the archiver has copied it."""
    segment = cluster.sql("SELECT pg_walfile_name(pg_switch_wal())")
    for _ in range(300):
        last = cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if last >= segment:
            return
        time.sleep(0.2)
    raise DrillFailed(f"WAL segment {segment} was never archived")


def drill(folder: Path) -> str:
    wal = folder / "wal"
    wal.mkdir()
    chown(wal)
    primary = Cluster(folder, "primary")
    pg("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    archive = f"test ! -f {wal}/%f && cp %p {wal}/%f"
    restored = Cluster(folder, "restored")
    try:
        primary.configure(
            "wal_level = replica", "archive_mode = on", f"archive_command = '{archive}'"
        )
        primary.start()
        primary.sql("CREATE DATABASE duoduo", database="postgres")
        printed = django(primary, folder, "seed")

        base = folder / "base"
        pg(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(base),
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )

        django(primary, folder, "write", "1")
        at_target = django(primary, folder, "counts")
        time.sleep(1.1)  # the noted time falls strictly between the two rounds' commits
        target = primary.sql("SELECT clock_timestamp()")
        time.sleep(1.1)
        at_end = django(primary, folder, "write", "2")
        wait_archived(primary)
        primary.stop()

        # The restore: the base backup as the new cluster's data, WAL from the archive.
        shutil.copytree(base, restored.data, symlinks=True)
        if os.geteuid() == 0:
            run("chown", "-R", f"{SYSTEM_USER}:{SYSTEM_USER}", str(restored.data))
        os.chmod(restored.data, 0o700)
        (restored.data / "recovery.signal").touch()
        restored.configure(
            "archive_mode = off",
            f"restore_command = 'cp {wal}/%f %p'",
            f"recovery_target_time = '{target}'",
            "recovery_target_action = 'promote'",
        )
        restored.start()
        for _ in range(300):
            if restored.sql("SELECT pg_is_in_recovery()", database="postgres") == "f":
                break
            time.sleep(0.2)
        else:
            raise DrillFailed("the restored cluster never finished its recovery")
        checked = django(restored, folder, "verify")
        with_key = django(restored, folder, "badge", printed["badge_url"])
        other_key = django(
            restored, folder, "badge", printed["badge_url"], secret_key=OTHER_SECRET_KEY
        )
    finally:
        restored.stop()
        primary.stop()

    differences = []
    for name in (
        "reviews",
        "payments",
        "ledger_transactions",
        "ledger_entries",
        "publications",
        "last_digest",
    ):
        if checked[name] != at_target[name]:
            differences.append(f"{name} {checked[name]} != {at_target[name]} at the target")
    if at_end["reviews"] == at_target["reviews"]:
        differences.append("the writes after the target changed nothing: nothing to leave out")
    differences += [f"ledger: {problem}" for problem in checked["ledger_problems"]]
    differences += [f"digest of {name} does not match" for name in checked["bad_digests"]]
    differences += [f"chain: {problem}" for problem in checked["chain_problems"]]
    if with_key["resolved"] != printed["cadre"]:
        differences.append("the badge printed before the backup does not resolve with the key")
    if other_key["resolved"] is not None:
        differences.append("the badge resolves with another SECRET_KEY")
    if differences:
        raise DrillFailed("; ".join(differences))
    return (
        f"backup-drill ok: restored to {target}: {checked['reviews']} reviews, "
        f"{checked['payments']} payments, {checked['ledger_transactions']} ledger transactions "
        f"({checked['ledger']}), {checked['publications']} publication(s) (digests and chain ok), "
        f"the {at_end['reviews'] - at_target['reviews']} later reviews left out; badge printed "
        "before the backup verified with the escrowed key, refused with another"
    )


def main() -> int:
    if not (PG_BIN / "initdb").exists():
        print(f"backup-drill FAILED: no PostgreSQL programs in {PG_BIN} (DRILL_PG_BIN)")
        return 1
    folder = Path(tempfile.mkdtemp(prefix="duoduo-backup-drill-"))
    chown(folder)
    try:
        print(drill(folder))
        return 0
    except (DrillFailed, subprocess.TimeoutExpired, KeyError, ValueError) as error:
        print(f"backup-drill FAILED: {error} (logs kept in {folder})")
        folder = Path()  # kept for the post-mortem
        return 1
    finally:
        if folder != Path():
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
