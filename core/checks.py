"""System checks of the platform (registered in CoreConfig.ready)."""

from django.core import checks
from django.db import connections

# PostgreSQL's settings that keep the planner's statistics up to date as tables grow.
STATISTICS_SETTINGS = ("autovacuum", "track_counts")
_SETTINGS_OFF_SQL = (
    "SELECT name FROM pg_settings WHERE name = ANY(%s) AND setting = 'off' ORDER BY name"
)


def statistics_settings_off(cursor) -> list[str]:
    """Which of STATISTICS_SETTINGS the server behind `cursor` has off."""
    cursor.execute(_SETTINGS_OFF_SQL, [list(STATISTICS_SETTINGS)])
    return [name for (name,) in cursor.fetchall()]


def statistics_kept(app_configs, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """check --deploy --database default: a server whose autovacuum is off never analyzes
    the tables, so the plans of a growing table are made on the statistics of its first
    rows, and a kept prepared plan can read a whole table for one row
    (docs/prepared-statements.md)."""
    messages: list[checks.CheckMessage] = []
    for alias in databases or ():
        with connections[alias].cursor() as cursor:
            off = statistics_settings_off(cursor)
        if off:
            messages.append(
                checks.Warning(
                    f"PostgreSQL of the database '{alias}' has {', '.join(off)} off: "
                    "nothing analyzes the tables as they grow, and plans made on stale "
                    "statistics can read whole tables.",
                    hint="Turn autovacuum and track_counts on in postgresql.conf "
                    "(PostgreSQL's default), or run VACUUM ANALYZE every night.",
                    id="core.W001",
                )
            )
    return messages
