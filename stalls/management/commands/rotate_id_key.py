from django.core.management.base import BaseCommand, CommandError

from stalls import services
from stalls.idcard import invalid_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored ID-card number with the first of ID_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old "
        "keys (docs/audit.md). Fails, naming the rows, if some number no key decrypts."
    )

    def handle(self, *args, **options):
        if wrong := invalid_keys():
            raise CommandError(f"ID_ENCRYPTION_KEYS: not a Fernet key at position {wrong}.")
        rotated, unreadable = services.id_numbers_rotate()
        if unreadable:
            raise CommandError(
                f"{rotated} ID numbers re-encrypted; no key decrypts registrations {unreadable}."
            )
        self.stdout.write(self.style.SUCCESS(f"{rotated} ID numbers re-encrypted."))
