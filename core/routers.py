"""The read replica (DATABASE_REPLICA_URL): public reads go there by name, the rest stays.

Selectors of public, read-only pages (published rankings, the stall and site views)
call `read_database()` and read `.using()` it; nothing else is routed, so writes,
locks and every read that a write depends on stay on the primary. A replica lags by
a moment: fine for a published month or a stall's hours, never for a balance.
"""

from django.db import connections

REPLICA = "replica"


def read_database() -> str:
    """The alias public reads use: the replica when one is configured."""
    return REPLICA if REPLICA in connections.settings else "default"


class ReplicaRouter:
    """Installed with a replica. Related objects are read where their parent was read;
    writes always go to the primary; only the primary is migrated (the replica follows
    it by streaming replication)."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
