from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from privacy.retention import personal_data_purge


class Command(BaseCommand):
    help = _(
        "Purge personal data past its retention and carry out the deletions whose "
        "cooling-off ended (docs/privacy.md)."
    )

    def handle(self, *args, **options):
        for step, count in personal_data_purge().items():
            self.stdout.write(f"{step}: {count}")
