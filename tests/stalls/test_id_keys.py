"""ID-card numbers under their own keys (ID_ENCRYPTION_KEYS): the first encrypts, all
decrypt; rotate_id_key re-encrypts every row with the first; the migration moves rows
off the key derived from SECRET_KEY."""

import base64
import importlib

import pytest
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core.management import CommandError, call_command

from stalls.idcard import decrypt_id_number, encrypt_id_number
from stalls.models import Registration

from .conftest import id_number

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def stored(pk: int) -> str:
    return Registration.objects.values_list("id_number_encrypted", flat=True).get(pk=pk)


def test_the_id_key_is_not_derived_from_secret_key(settings):
    number = id_number()
    settings.ID_ENCRYPTION_KEYS = [NEW]
    token = encrypt_id_number(number)
    assert Fernet(NEW.encode()).decrypt(token.encode()).decode() == number
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789abcdefghijkl"
    assert decrypt_id_number(token) == number
    settings.ID_ENCRYPTION_KEYS = [OLD]
    assert decrypt_id_number(token) == ""


def test_rotate_id_key_reencrypts_every_row_with_the_first_key(
    settings, register, site, vendor, other_vendor, capsys
):
    settings.ID_ENCRYPTION_KEYS = [OLD]
    numbers = {}
    for person in (vendor, other_vendor):
        number = id_number("19800101" if person == vendor else "19900202")
        assert register(person, site, id_number=number).status_code == 201
        numbers[Registration.objects.get(vendor=person).pk] = number
    settings.ID_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("rotate_id_key")
    assert "2 ID numbers re-encrypted" in capsys.readouterr().out
    settings.ID_ENCRYPTION_KEYS = [NEW]
    for pk, number in numbers.items():
        assert Fernet(NEW.encode()).decrypt(stored(pk).encode()).decode() == number
        assert decrypt_id_number(stored(pk)) == number


def test_rotate_id_key_names_the_rows_no_key_decrypts(settings, register, site, vendor):
    settings.ID_ENCRYPTION_KEYS = [OLD]
    assert register(vendor, site, id_number=id_number()).status_code == 201
    registration = Registration.objects.get()
    before = stored(registration.pk)
    settings.ID_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(CommandError, match=f"registrations \\[{registration.pk}\\]"):
        call_command("rotate_id_key")
    assert stored(registration.pk) == before


def derived(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"duoduo.stalls", info=b"id-number"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def test_the_migration_moves_rows_off_the_key_derived_from_secret_key(
    settings, register, site, vendor, other_vendor
):
    """A row under the old derived key (SECRET_KEY or a fallback) ends under the first of
    ID_ENCRYPTION_KEYS; a row already under them is left as it is."""
    settings.ID_ENCRYPTION_KEYS = [NEW]
    settings.SECRET_KEY_FALLBACKS = ["an-old-secret-key-0123456789abcdefghijklmnopqrstuv"]
    old_number, new_number = id_number("19800101"), id_number("19900202")
    assert register(vendor, site, id_number=old_number).status_code == 201
    assert register(other_vendor, site, id_number=new_number).status_code == 201
    legacy = Registration.objects.get(vendor=vendor)
    current = Registration.objects.get(vendor=other_vendor)
    Registration.objects.filter(pk=legacy.pk).update(
        id_number_encrypted=derived(settings.SECRET_KEY_FALLBACKS[0])
        .encrypt(old_number.encode())
        .decode()
    )
    untouched = stored(current.pk)
    migration = importlib.import_module("stalls.migrations.0006_id_numbers_own_keys")
    migration.forward(apps, None)
    assert (
        MultiFernet([Fernet(NEW.encode())]).decrypt(stored(legacy.pk).encode()).decode()
        == old_number
    )
    assert stored(current.pk) == untouched
