"""Moderation's tests use the cadres' fixtures: units, cadres, and their people."""

from tests.cadres.conftest import (  # noqa: F401 (fixtures, and review_create's clock)
    at,
    badge,
    cadre,
    cadre_user,
    district_admin,
    make_cadre,
    make_unit,
    unit,
    unit_admin,
)
