import time

from django.core.management.base import BaseCommand, CommandError

from points.verification import ledger_verify


class Command(BaseCommand):
    help = (
        "Check the points ledger: every balance equals the sum of its entries, every "
        "transaction sums to zero, no resident balance is negative, the unspent lots of each "
        "resident redeemable account sum to its balance. Exit status 1 if not."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        report = ledger_verify()
        elapsed = time.monotonic() - started
        for problem in report.problems:
            self.stderr.write(problem)
        summary = (
            f"{report.accounts} accounts, {report.transactions} transactions, "
            f"{report.entries} entries checked in {elapsed:.2f}s"
        )
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s); {summary}")
        self.stdout.write(self.style.SUCCESS(f"ledger ok: {summary}"))
