from django.conf import settings
from django.core.management.base import BaseCommand

from points.reconcile import campaign_gates_reconcile


class Command(BaseCommand):
    help = "Rebuild the Redis admission gates of open grab campaigns from the database."

    def add_arguments(self, parser):
        parser.add_argument("campaign_ids", nargs="*", type=int, help="only these campaigns")

    def handle(self, *args, campaign_ids, **options):
        if not settings.REDIS_URL:
            self.stdout.write("REDIS_URL is not set: there are no gates to rebuild.")
            return
        done = campaign_gates_reconcile(campaign_ids=campaign_ids or None)
        self.stdout.write(self.style.SUCCESS(f"{done} campaign gate(s) rebuilt"))
