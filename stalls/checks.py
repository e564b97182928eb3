"""System checks of the ID-number keys (registered by StallsConfig.ready())."""

from django.conf import settings
from django.core import checks

from .idcard import invalid_keys


def id_keys_valid(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if wrong := invalid_keys():
        return [
            checks.Error(
                f"ID_ENCRYPTION_KEYS: not a Fernet key at position {wrong}.",
                hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="stalls.E001",
            )
        ]
    return []


def id_keys_not_the_dev_default(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """check --deploy: production never encrypts ID numbers with the published key."""
    if settings.ID_ENCRYPTION_KEYS_DEV_DEFAULT in settings.ID_ENCRYPTION_KEYS:
        return [
            checks.Error(
                "ID_ENCRYPTION_KEYS is unset or holds the development key, which is public.",
                hint="Set ID_ENCRYPTION_KEYS to a key of your own, then run "
                "manage.py rotate_id_key (docs/audit.md).",
                id="stalls.E002",
            )
        ]
    return []
