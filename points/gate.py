"""The Redis admission gate in front of grab campaigns.

When a campaign opens, thousands press "grab" in the same second. On PostgreSQL every
claim updates one of the campaign's pool rows, so claims queue on row locks. The gate
answers most of them from Redis alone: one Lua script, atomic in Redis, checks that
the resident has not been admitted yet, decrements the claims left and records the
resident. Only admitted residents reach the database, which stays the source of
truth (UNIQUE claim per resident, CHECK pool balance >= 0): the gate can only say
"no" too early, never "yes" wrongly.

Redis and the database can disagree after a crash between the two (admitted in Redis,
never committed). `gate_sync` rebuilds a campaign's gate from the database; the
`points.tasks.campaign_gates_reconcile` beat task runs it for open campaigns, and
`manage.py reconcile_campaign_gates` does the same by hand.

Without REDIS_URL there is no gate: the database alone decides, correctly but slower.
"""

import logging
from enum import Enum

import redis.cluster
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

_ADMIT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -3 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return -1 end
local left = tonumber(redis.call('GET', KEYS[1]))
if left <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

# ARGV[2]: "release" (the database write failed: give the slot back), "member" (the
# database says the resident has claimed: keep them, give the slot back), "empty" (the
# database says sold out: nothing is left).
_SETTLE = """
if ARGV[2] == 'empty' then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -3 end
if ARGV[2] == 'release' then
  if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then redis.call('INCR', KEYS[1]) end
  return 1
end
redis.call('INCR', KEYS[1])
return 1
"""


class Admission(Enum):
    ADMITTED = "admitted"
    SOLD_OUT = "sold_out"
    ALREADY_CLAIMED = "already_claimed"
    # No gate (no Redis, Redis down or the gate not built yet): ask the database.
    NO_GATE = "no_gate"


_clients: dict[str, object] = {}


class _ClusterClient(redis.cluster.RedisCluster):
    """The gate on Redis Cluster (GATE_REDIS_CLUSTER_URL). A campaign's keys share one
    hash tag, so they live on one node: the Lua scripts run there, and gate_sync's
    MULTI pipeline goes to that node's own connection (redis-py refuses transactions
    and multi-key commands in its cluster pipeline)."""

    def pipeline(self, transaction=None, shard_hint=None):
        return _SlotPipeline(self, transaction=transaction)


class _SlotPipeline:
    """Records pipeline commands; runs them on the node holding the first key's slot."""

    def __init__(self, cluster, *, transaction):
        self.cluster = cluster
        self.transaction = transaction
        self.commands = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.commands.append((name, args, kwargs))
            return self

        return record

    def execute(self):
        node = self.cluster.get_node_from_key(self.commands[0][1][0])
        pipe = self.cluster.get_redis_connection(node).pipeline(transaction=self.transaction)
        for name, args, kwargs in self.commands:
            getattr(pipe, name)(*args, **kwargs)
        return pipe.execute()


def _client():
    cluster_url = settings.GATE_REDIS_CLUSTER_URL
    url = cluster_url or settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        factory = _ClusterClient if cluster_url else redis.Redis
        client = factory.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client._duoduo_admit = client.register_script(_ADMIT)
        client._duoduo_settle = client.register_script(_SETTLE)
        _clients[url] = client
    return client


def _keys(campaign_id: int) -> list[str]:
    # One hash tag per campaign: on Redis Cluster both keys live in one slot, so the
    # Lua scripts (which touch both) run on one node.
    base = f"duoduo:points:{{campaign:{campaign_id}}}"
    return [f"{base}:left", f"{base}:claimants"]


def admit(*, campaign, resident_id: int) -> Admission:
    client = _client()
    if client is None:
        return Admission.NO_GATE
    try:
        answer = client._duoduo_admit(keys=_keys(campaign.pk), args=[resident_id])
        if answer == -3:
            gate_sync(campaign=campaign)
            answer = client._duoduo_admit(keys=_keys(campaign.pk), args=[resident_id])
    except Exception:
        logger.exception("campaign gate: Redis failed; the database decides alone")
        return Admission.NO_GATE
    return {
        1: Admission.ADMITTED,
        0: Admission.SOLD_OUT,
        -1: Admission.ALREADY_CLAIMED,
    }.get(answer, Admission.NO_GATE)


def settle(*, campaign, resident_id: int, outcome: str) -> None:
    """Tell the gate what the database said about an admitted resident."""
    client = _client()
    if client is None:
        return
    try:
        client._duoduo_settle(keys=_keys(campaign.pk), args=[resident_id, outcome])
    except Exception:
        logger.exception("campaign gate: could not settle; the reconciliation will")


def gate_sync(*, campaign) -> dict | None:
    """Rebuild the campaign's gate from the database: claims left and who claimed.

    Residents admitted but not committed yet at this instant drop out of the gate; if
    they are admitted again the database's UNIQUE constraint and CHECK answer them.
    """
    from .models import CampaignClaim

    client = _client()
    if client is None:
        return None
    from .selectors import campaign_pool_balance

    left = campaign_pool_balance(campaign=campaign) // campaign.points_per_claim
    claimants = list(
        CampaignClaim.objects.filter(campaign=campaign).values_list("resident_id", flat=True)
    )
    left_key, who_key = _keys(campaign.pk)
    ttl = max(60, int((campaign.ends_at - timezone.now()).total_seconds()) + 86400)
    pipe = client.pipeline(transaction=True)
    pipe.delete(left_key, who_key)
    pipe.set(left_key, left, ex=ttl)
    for start in range(0, len(claimants), 5000):
        pipe.sadd(who_key, *claimants[start : start + 5000])
    if claimants:
        pipe.expire(who_key, ttl)
    pipe.execute()
    return {"left": left, "claimants": len(claimants)}


def gate_state(*, campaign) -> dict | None:
    """What the gate holds now (the admin's live count); None without a gate."""
    client = _client()
    if client is None:
        return None
    left_key, who_key = _keys(campaign.pk)
    try:
        left, members = client.get(left_key), client.scard(who_key)
    except Exception:
        logger.exception("campaign gate: Redis failed")
        return None
    return {"left": None if left is None else int(left), "claimants": members}
