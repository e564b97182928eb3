"""ID-card numbers move off the key derived from SECRET_KEY onto ID_ENCRYPTION_KEYS.

Each row encrypted under the old key (HKDF of SECRET_KEY or of one of
SECRET_KEY_FALLBACKS, as stalls/idcard.py did before) is re-encrypted with the first of
ID_ENCRYPTION_KEYS; a row already under those keys is left alone, and so is one no key
decrypts (manage.py rotate_id_key names those). Self-contained: the old derivation is
copied here, it is nowhere else any more.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import migrations


def derived_key(secret: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"duoduo.stalls", info=b"id-number"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def keys() -> tuple[MultiFernet, MultiFernet]:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    old = MultiFernet([Fernet(derived_key(secret)) for secret in secrets])
    new = MultiFernet([Fernet(key.encode()) for key in settings.ID_ENCRYPTION_KEYS])
    return old, new


def move(apps, old: MultiFernet, new: MultiFernet) -> None:
    """Each row `old` decrypts and `new` does not, re-encrypted with `new`'s first key."""
    registration_model = apps.get_model("stalls", "Registration")
    rows = registration_model.objects.order_by("pk").values_list("pk", "id_number_encrypted")
    for pk, token in rows.iterator(chunk_size=500):
        try:
            new.decrypt(token.encode())
            continue
        except (InvalidToken, ValueError):
            pass
        try:
            number = old.decrypt(token.encode())
        except (InvalidToken, ValueError):
            continue
        registration_model.objects.filter(pk=pk).update(
            id_number_encrypted=new.encrypt(number).decode()
        )


def forward(apps, schema_editor):
    old, new = keys()
    move(apps, old, new)


def backward(apps, schema_editor):
    old, new = keys()
    move(apps, new, old)


class Migration(migrations.Migration):
    dependencies = [("stalls", "0005_filed_at_desk_by")]

    operations = [migrations.RunPython(forward, backward)]
