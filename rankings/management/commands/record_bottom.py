from django.core.management.base import BaseCommand, CommandError

from core.months import parse_month
from rankings import bottom, selectors


class Command(BaseCommand):
    help = (
        "Record the bottom again from a published month on: the streaks of its latest "
        "version and of every later published month's, withdrawing the warnings they no "
        "longer support and opening the ones they newly support (their cadres told). "
        "Once after deploying issue 21, from the earliest month corrected before it: "
        "those corrections left their streaks on version 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month, **options):
        first_day = parse_month(month)
        if first_day is None:
            raise CommandError(f"Not a month (YYYY-MM): {month}")
        ranking = selectors.latest_published_version(month=first_day)
        if ranking is None:
            raise CommandError(f"{month} is not published.")
        bottom.bottom_follow(correction=ranking)
        self.stdout.write(self.style.SUCCESS(f"{ranking}: the bottom recorded from it on."))
