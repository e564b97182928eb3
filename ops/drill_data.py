"""The Django side of `make backup-drill` (ops/backup_drill.py runs it against the drill's
own clusters, DATABASE_URL pointing at one of them). Writes through the project's
services, as the district's day would, and checks what a restore must keep:

    python ops/drill_data.py seed      migrate, the demo district, a badge printed (JSON)
    python ops/drill_data.py write N   round N: reviews of a past month, payments at a
                                       merchant, that month compiled and published
    python ops/drill_data.py counts    what the database holds (JSON)
    python ops/drill_data.py verify    verify_ledger, every published digest and the chain
                                       (the stdlib verifier over /open/, served from here),
                                       and the counts (JSON)
    python ops/drill_data.py badge URL does this SECRET_KEY resolve the printed badge (JSON)

Not a package of the project: a script, so that nothing imports it.
"""

import os
import sys
from pathlib import Path

# The checkout's root first on the path (this file's folder is ops/), then Django.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
from unittest import mock  # noqa: E402
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server  # noqa: E402

from django.core.management import CommandError, call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.services import user_get_or_create  # noqa: E402
from cadres import services as cadres_services  # noqa: E402
from cadres.codes import badge_url  # noqa: E402
from cadres.models import Cadre, Review  # noqa: E402
from core.codes import CodeInvalid, resolve  # noqa: E402
from core.timezones import LOCAL_TZ  # noqa: E402
from merchants import services as merchants_services  # noqa: E402
from merchants.models import Payment  # noqa: E402
from points.models import Entry, LedgerTransaction, Merchant  # noqa: E402
from rankings import services as rankings_services  # noqa: E402
from rankings import verify_chain  # noqa: E402
from rankings.models import RankingMonth  # noqa: E402
from rankings.selectors import ranking_month_verify  # noqa: E402

REVIEWERS_PER_ROUND = 12
PAYMENT_POINTS = 3


def month_of_round(number: int) -> dt.date:
    """Round 1 reviews the month four months ago, round 2 the next one: both ended and
    past their answer window (the 4th), so they can be published today."""
    today = timezone.now().astimezone(LOCAL_TZ).date().replace(day=1)
    month = today
    for _ in range(5 - number):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def counts() -> dict:
    published = RankingMonth.objects.filter(published_at__isnull=False)
    return {
        "reviews": Review.objects.count(),
        "payments": Payment.objects.count(),
        "ledger_transactions": LedgerTransaction.objects.count(),
        "ledger_entries": Entry.objects.count(),
        "publications": published.count(),
        "last_digest": (
            published.order_by("-published_at").values_list("digest", flat=True)
        ).first()
        or "",
    }


def seed() -> dict:
    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    cadre = Cadre.objects.order_by("pk").first()
    assert cadre is not None, "seed_demo made no cadre"
    return {"badge_url": badge_url(cadre), "cadre": cadre.pk}


def write(number: int) -> dict:
    """Reviews of the round's month (as if written then), a payment by each reviewer
    with the points the review earned, and the month compiled and published now."""
    month = month_of_round(number)
    cadres = list(Cadre.objects.order_by("pk"))
    merchant = Merchant.objects.order_by("pk").first()
    assert merchant is not None, "seed_demo made no merchant"
    for index in range(REVIEWERS_PER_ROUND):
        reviewer = user_get_or_create(phone=f"+86136{number:02d}{index:06d}")
        moment = dt.datetime(month.year, month.month, 1 + index, 10, 0, tzinfo=LOCAL_TZ)
        with mock.patch("django.utils.timezone.now", return_value=moment):
            cadres_services.review_create(
                cadre=cadres[(index + number) % len(cadres)],
                reviewer=reviewer,
                rating=5 if index % 4 else 2,
                comment="drill",
            )
        merchants_services.payment_create(
            resident=reviewer, merchant=merchant, amount_points=PAYMENT_POINTS
        )
    rankings_services.rankings_compile(month=month)
    rankings_services.ranking_month_publish(month=month)
    return {"month": f"{month:%Y-%m}", **counts()}


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def chain_problems() -> list[str]:
    """The stdlib verifier (rankings/verify_chain.py) against this database's /open/,
    served by this process on a loopback port."""
    server: WSGIServer = make_server(
        "127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = io.StringIO()
        return verify_chain.verify(f"http://127.0.0.1:{server.server_port}", out=out)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def verify_ledger() -> tuple[str, list[str]]:
    """`manage.py verify_ledger`'s summary line and the problems it reported."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError as error:
        return str(error), [*err.getvalue().splitlines(), str(error)]
    return out.getvalue().strip(), []


def verify() -> dict:
    ledger_summary, ledger_problems = verify_ledger()
    published = RankingMonth.objects.filter(published_at__isnull=False).order_by("published_at")
    bad_digests = [
        f"{ranking.month:%Y-%m} v{ranking.version}"
        for ranking in published
        if not ranking_month_verify(ranking=ranking)
    ]
    return {
        "ledger": ledger_summary,
        "ledger_problems": ledger_problems,
        "bad_digests": bad_digests,
        "chain_problems": chain_problems(),
        **counts(),
    }


def badge(url: str) -> dict:
    try:
        found = resolve(url)
    except CodeInvalid:
        return {"resolved": None}
    return {"resolved": getattr(found.obj, "pk", None)}


def main(argv: list[str]) -> int:
    phase = argv[0] if argv else ""
    if phase == "seed":
        result = seed()
    elif phase == "write" and len(argv) == 2:
        result = write(int(argv[1]))
    elif phase == "counts":
        result = counts()
    elif phase == "verify":
        result = verify()
    elif phase == "badge" and len(argv) == 2:
        result = badge(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
