"""Bring the Redis campaign gates back in line with the database.

A resident admitted by the gate whose database claim never committed (a crash between
the two) holds a slot in Redis only; rebuilding from the database frees it. Safe to run
any time: the database's UNIQUE and CHECK constraints decide every claim anyway.
"""

import logging

from django.utils import timezone

from . import gate
from .models import Campaign

logger = logging.getLogger(__name__)


def campaign_gates_reconcile(*, campaign_ids=None) -> int:
    """Rebuild the gates of open campaigns (or of `campaign_ids`); how many were rebuilt."""
    now = timezone.now()
    campaigns = Campaign.objects.all()
    if campaign_ids:
        campaigns = campaigns.filter(pk__in=campaign_ids)
    else:
        campaigns = campaigns.filter(ends_at__gt=now)
    done = 0
    for campaign in campaigns:
        before = gate.gate_state(campaign=campaign)
        after = gate.gate_sync(campaign=campaign)
        if after is None:
            return 0
        if before and before["left"] is not None and before["left"] != after["left"]:
            logger.warning(
                "campaign %s gate drifted: %s claims left in Redis, %s in the database",
                campaign.pk,
                before["left"],
                after["left"],
            )
        done += 1
    return done
