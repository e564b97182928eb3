SELECT pg_advisory_xact_lock(8712021)
