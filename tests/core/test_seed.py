"""seed_demo loads the demo district; running it again changes nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "points", "cadres", "stalls"}
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=None)
    first = row_counts()
    call_command("seed_demo", stdout=None)
    assert row_counts() == first
    assert sum(first.values()) > 0
