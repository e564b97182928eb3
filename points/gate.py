"""The Redis admission gate in front of grab campaigns.

When a campaign opens, thousands press "grab" in the same second. On PostgreSQL every
claim updates one of the campaign's pool rows, so claims queue on row locks. The gate
answers most of them from Redis alone: one Lua script, atomic in Redis, checks that
the resident has not been admitted yet, decrements the claims left and records the
resident. Only admitted residents reach the database, which stays the source of
truth (UNIQUE claim per resident, CHECK pool balance >= 0): the gate can only say
"no" too early, never "yes" wrongly.

Redis and the database can disagree after a crash between the two (admitted in Redis,
never committed), so the gate's "no" is not final where the database may disagree:

- "already claimed" is final only for a settled claimant (the database told the gate
  the claim committed, or the gate was built from the database's claims); a resident
  admitted but not settled is checked against the database (one indexed read), and
  without a claim there claims again, the database deciding;
- every admission stays "unsettled" (a sorted set, by admission time) until the
  service reports the database's answer. An empty gate with an admission unsettled
  for GRAB_GATE_UNSETTLED_SECONDS (longer than any claim takes) hands the request to
  the database, which gives the dead admission's points to whoever asks, until the
  pool is empty there too; then the gate's "sold out" is final again.

`gate_sync` rebuilds a campaign's gate from the database; the
`points.tasks.campaign_gates_reconcile` beat task runs it for open campaigns, and
`manage.py reconcile_campaign_gates` does the same by hand.

Without REDIS_URL there is no gate: the database alone decides, correctly but slower;
the same while Redis is unreachable.
"""

import logging
from dataclasses import dataclass
from enum import Enum

import redis
import redis.cluster
from django.conf import settings
from django.utils import timezone

from core.cache import UNREACHABLE

from .models import CampaignClaim
from .selectors import campaign_pool_balance

logger = logging.getLogger(__name__)

# KEYS: left, claimants, unsettled. ARGV: resident, how old (ms) an unsettled admission
# must be to count as dead. Returns {code} or, admitted, {1, slot}: the claims left
# after this one, which names the pool shard to debit (see `Admitted.shard`).
_ADMIT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-3} end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return {-4} end
  return {-1}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local left = tonumber(redis.call('GET', KEYS[1]))
if left <= 0 then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if oldest[2] and now - tonumber(oldest[2]) >= tonumber(ARGV[2]) then return {-2} end
  return {0}
end
local slot = redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
return {1, slot}
"""

# ARGV[2], what the database said: "committed" (the resident's claim is committed there:
# a settled claimant, whose "already claimed" the gate now answers alone), "release"
# (the write failed: give the slot back), "member" (the database says the resident has
# claimed: keep them, give the slot back), "empty" (the pool is empty: nothing is left;
# the unsettled admissions are forgotten, so their residents hear "sold out", and a
# claim of theirs that did commit settles them again as claimants).
_SETTLE = """
if ARGV[2] == 'committed' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
    local ttl = redis.call('TTL', KEYS[1])
    if ttl > 0 then redis.call('EXPIRE', KEYS[2], ttl) else redis.call('EXPIRE', KEYS[2], 86400) end
  end
  return 1
end
if ARGV[2] == 'empty' then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  redis.call('SREM', KEYS[2], ARGV[1])
  local unsettled = redis.call('ZRANGE', KEYS[3], 0, -1)
  for start = 1, #unsettled, 1000 do
    redis.call('SREM', KEYS[2], unpack(unsettled, start, math.min(start + 999, #unsettled)))
  end
  redis.call('DEL', KEYS[3])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -3 end
redis.call('ZREM', KEYS[3], ARGV[1])
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
    # A settled claimant: the database has the claim (final, from Redis alone).
    ALREADY_CLAIMED = "already_claimed"
    # Admitted before, the database's answer not heard yet (in flight, or a request
    # that died): the database says whether the claim is there.
    ADMITTED_BEFORE = "admitted_before"
    # Empty, but an admission never settled: the database may still hold its points.
    ASK_DATABASE = "ask_database"
    # No gate (no Redis, Redis down or the gate not built yet): ask the database.
    NO_GATE = "no_gate"


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


class _Gate:
    """One Redis URL's client (a cluster client for GATE_REDIS_CLUSTER_URL) and its
    registered scripts."""

    def __init__(self, url: str, *, cluster: bool):
        factory = _ClusterClient if cluster else redis.Redis
        self.client = factory.from_url(url, socket_timeout=1, socket_connect_timeout=0.5)
        self.admit = self.client.register_script(_ADMIT)
        self.settle = self.client.register_script(_SETTLE)


_gates: dict[str, _Gate] = {}


def _gate() -> _Gate | None:
    cluster_url = settings.GATE_REDIS_CLUSTER_URL
    url = cluster_url or settings.REDIS_URL
    if not url:
        return None
    found = _gates.get(url)
    if found is None:
        found = _gates.setdefault(url, _Gate(url, cluster=bool(cluster_url)))
    return found


def _client():
    found = _gate()
    return None if found is None else found.client


def _keys(campaign_id: int) -> list[str]:
    """Claims left, who was admitted, and admissions the database has not answered yet.

    One hash tag per campaign: on Redis Cluster the keys live in one slot, so the Lua
    scripts (which touch all three) run on one node."""
    base = f"duoduo:points:{{campaign:{campaign_id}}}"
    return [f"{base}:left", f"{base}:claimants", f"{base}:unsettled"]


@dataclass(frozen=True)
class Admitted:
    """The gate's answer, and for an admission its slot: the claims left after it."""

    admission: Admission
    slot: int | None = None

    def shard(self, shards: int) -> int | None:
        """The pool shard this admission should debit, or None without a slot.

        Slot k goes to shard k % shards: a campaign's shards hold claims // shards claims
        each and the first claims % shards one more (campaigns.campaign_create), so each
        shard gets exactly as many slots as it holds claims, and winners admitted one
        after the other debit different shards. Only a hint: the database decides.
        """
        return None if self.slot is None else self.slot % shards


_ANSWERS = {
    1: Admission.ADMITTED,
    0: Admission.SOLD_OUT,
    -1: Admission.ALREADY_CLAIMED,
    -2: Admission.ASK_DATABASE,
    -4: Admission.ADMITTED_BEFORE,
}


def admit(*, campaign, resident_id: int) -> Admission:
    return admit_with_slot(campaign=campaign, resident_id=resident_id).admission


def admit_with_slot(*, campaign, resident_id: int) -> Admitted:
    found = _gate()
    if found is None:
        return Admitted(Admission.NO_GATE)
    args = [resident_id, int(settings.GRAB_GATE_UNSETTLED_SECONDS * 1000)]
    try:
        answer = found.admit(keys=_keys(campaign.pk), args=args)
        if answer[0] == -3:
            gate_sync(campaign=campaign)
            answer = found.admit(keys=_keys(campaign.pk), args=args)
    except UNREACHABLE as error:
        logger.warning("campaign gate: Redis unreachable (%s); the database decides alone", error)
        return Admitted(Admission.NO_GATE)
    except Exception:
        logger.exception("campaign gate: Redis failed; the database decides alone")
        return Admitted(Admission.NO_GATE)
    admission = _ANSWERS.get(answer[0], Admission.NO_GATE)
    return Admitted(admission, int(answer[1]) if admission is Admission.ADMITTED else None)


def settle(*, campaign, resident_id: int, outcome: str) -> None:
    """Tell the gate what the database said about a resident's claim."""
    found = _gate()
    if found is None:
        return
    try:
        found.settle(keys=_keys(campaign.pk), args=[resident_id, outcome])
    except UNREACHABLE as error:
        logger.warning("campaign gate: Redis unreachable (%s); not settled", error)
    except Exception:
        logger.exception("campaign gate: could not settle; the reconciliation will")


def gate_sync(*, campaign) -> dict | None:
    """Rebuild the campaign's gate from the database: claims left and who claimed.

    Residents admitted but not committed yet at this instant drop out of the gate; if
    they are admitted again the database's UNIQUE constraint and CHECK answer them.
    """
    client = _client()
    if client is None:
        return None
    left = campaign_pool_balance(campaign=campaign) // campaign.points_per_claim
    claimants = list(
        CampaignClaim.objects.filter(campaign=campaign).values_list("resident_id", flat=True)
    )
    left_key, who_key, unsettled_key = _keys(campaign.pk)
    ttl = max(60, int((campaign.ends_at - timezone.now()).total_seconds()) + 86400)
    pipe = client.pipeline(transaction=True)
    pipe.delete(left_key, who_key, unsettled_key)
    pipe.set(left_key, left, ex=ttl)
    for start in range(0, len(claimants), 5000):
        pipe.sadd(who_key, *claimants[start : start + 5000])
    if claimants:
        pipe.expire(who_key, ttl)
    try:
        pipe.execute()
    except UNREACHABLE as error:
        logger.warning("campaign gate: Redis unreachable (%s); not rebuilt", error)
        return None
    return {"left": left, "claimants": len(claimants)}


def gate_state(*, campaign) -> dict | None:
    """What the gate holds now (the admin's live count); None without a gate."""
    client = _client()
    if client is None:
        return None
    left_key, who_key, _ = _keys(campaign.pk)
    try:
        left, members = client.get(left_key), client.scard(who_key)
    except Exception:
        logger.exception("campaign gate: Redis failed")
        return None
    return {"left": None if left is None else int(left), "claimants": members}
