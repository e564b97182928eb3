"""Names of request headers that code outside the views reads.

This module imports nothing: DRF's settings import accounts.authentication, which needs
the Idempotency-Key's name, and core.idempotency (through core.errors) imports DRF's
views, which read those settings; a constant here breaks that circle.
"""

IDEMPOTENCY_KEY = "Idempotency-Key"
