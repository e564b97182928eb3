"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before a request's first
query with `SELECT 1`: a round trip on every request, 5-10 % of a payment's CPU
(docs/benchmarks.md). An idle connection has nothing to read, so a readable socket means
the server said goodbye (a restart, a terminated backend) or closed it: such a
connection is not usable, and Django opens a new one. A connection that died silently
(the network gone) fails its first query instead: that request answers 503
(core.middleware) and Django drops the connection after it.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN)
        return not poller.poll(0)
