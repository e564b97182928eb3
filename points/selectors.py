from dataclasses import dataclass


@dataclass(frozen=True)
class ResidentSummary:
    redeemable: int
    moral: int
    tier: dict | None


def resident_summary(*, user) -> ResidentSummary:
    """Balances and privilege tier of a resident, as /me shows them.

    Until the ledger lands (issue "Points") every resident has nothing.
    """
    return ResidentSummary(redeemable=0, moral=0, tier=None)
