from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.months import local_today, parse_month, previous_month
from rankings import services


class Command(BaseCommand):
    help = (
        "Compile a month's cadre rankings (default: the month just ended, Asia/Shanghai); "
        "--publish also publishes it (only once the 72-hour answer window of the month's "
        "last bad reviews has closed: from 00:00 on the 4th of the next month)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args, month=None, publish=False, **options):
        if month:
            first_day = parse_month(month)
            if first_day is None:
                raise CommandError(f"Not a month (YYYY-MM): {month}")
        else:
            first_day = previous_month(local_today().replace(day=1))
        try:
            ranking = services.rankings_compile_and_publish(month=first_day, publish=publish)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.detail}") from None
        entries = ranking.entries.count()
        state = f"published, digest {ranking.digest}" if ranking.published_at else "compiled"
        self.stdout.write(self.style.SUCCESS(f"{ranking.label}: {entries} entries, {state}"))
