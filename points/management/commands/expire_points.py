import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from points import services


class Command(BaseCommand):
    help = (
        "Expire the redeemable points whose lot's last day is before today (Asia/Shanghai) "
        "into the expiry account. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD: expire as if today were this day")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today {today!r} is not a date (YYYY-MM-DD)") from None
        expired = services.points_expire(today=day)
        self.stdout.write(self.style.SUCCESS(f"{expired} lot(s) expired"))
