"""The leaderboard pages' query: bad input is no filter, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_leaderboard_filters_by_a_unit_in_ascii_digits_only(client, cadre):
    """?unit= is an id in ASCII digits: "²" (str.isdigit() says digit, int() refuses it)
    and a full-width id are no filter, not a 500."""
    for unit in ("²", "１", str(cadre.unit_id)):
        assert client.get("/leaderboard/", {"unit": unit}).status_code == 200, unit
