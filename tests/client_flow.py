"""A resident's trip through the Python client generated from the live schema
(openapi-python-client), as the phone app makes it: sign in by SMS code (read from the
file of SMS_BACKEND=file), scan a cadre's badge, review the cadre, pay at a merchant's
till, read the balance.

Nothing of the project is imported: the generated package is the only way in. Run by
tests/core/test_generated_client.py and by .ci/generated_clients.sh:

    python tests/client_flow.py --client-dir DIR --package duoduo_client --base-url URL \\
        --sms-file FILE --phone +86139... --badge URL --till URL

Each step is one function in FLOW; a step added later (a consent, say) is one more.
"""

import argparse
import importlib
import json
import pathlib
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


class FlowError(AssertionError):
    pass


@dataclass
class Trip:
    """What the steps share: the generated package, the signed-in client, what was read."""

    package: Any
    base_url: str
    sms_file: pathlib.Path
    phone: str
    badge: str
    till: str
    client: Any = None
    seen: dict = field(default_factory=dict)
    opened: list = field(default_factory=list)

    def open(self, client):
        """A generated client, closed (its connections) when the trip ends."""
        self.opened.append(client)
        return client

    def close(self) -> None:
        for client in self.opened:
            client.get_httpx_client().close()

    def api(self, module: str):
        return importlib.import_module(f"{self.package.__name__}.api.{module}")

    def model(self, name: str):
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), name)


def expect(response, status: int):
    """The parsed body of a response that must have `status`."""
    if response.status_code != status:
        raise FlowError(
            f"expected {status}, got {response.status_code}: {response.content[:300]!r}"
        )
    return response.parsed


def sms_code(sms_file: pathlib.Path, phone: str, *, wait: float = 10.0) -> str:
    """The latest sign-in code the file backend wrote for `phone`."""
    deadline = time.monotonic() + wait
    while True:
        codes = []
        if sms_file.exists():
            for line in sms_file.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("phone") == phone and record.get("code"):
                    codes.append(record["code"])
        if codes:
            return codes[-1]
        if time.monotonic() > deadline:
            raise FlowError(f"no sign-in code for {phone} in {sms_file}")
        time.sleep(0.1)


def sign_in(trip: Trip) -> None:
    plain = trip.open(trip.package.Client(base_url=trip.base_url, raise_on_unexpected_status=True))
    otp = trip.api("auth.auth_otp_create")
    expect(
        otp.sync_detailed(
            client=plain, body=trip.model("OtpRequestInputRequest")(phone=trip.phone)
        ),
        202,
    )
    code = sms_code(trip.sms_file, trip.phone)
    token = trip.api("auth.auth_token_create")
    tokens = expect(
        token.sync_detailed(
            client=plain, body=trip.model("TokenInputRequest")(phone=trip.phone, code=code)
        ),
        200,
    )
    trip.client = trip.open(
        trip.package.AuthenticatedClient(
            base_url=trip.base_url, token=tokens.access, raise_on_unexpected_status=True
        )
    )
    trip.seen["user_id"] = tokens.user.id


def consent(trip: Trip) -> None:
    """Accept the privacy notice of the current version (a 409 `consent_required` on the
    review and the payment otherwise)."""
    notice = expect(trip.api("privacy.privacy_retrieve").sync_detailed(client=trip.client), 200)
    given = trip.api("me.me_consents_create").sync_detailed(
        client=trip.client, body=trip.model("ConsentInputRequest")(version=notice.version)
    )
    expect(given, 201)


def scan_badge(trip: Trip) -> None:
    scan = trip.api("scan.scan_create")
    scanned = expect(
        scan.sync_detailed(
            client=trip.client, body=trip.model("ScanInputRequest")(code=trip.badge)
        ),
        200,
    )
    if str(scanned.type_) != "cadre":
        raise FlowError(f"the badge scanned as {scanned.type_}")
    trip.seen["cadre_id"] = scanned.cadre["id"]


def review(trip: Trip) -> None:
    reviews = trip.api("cadres.cadres_reviews_create")
    body = trip.model("CadreReviewCreateInputRequest")(code=trip.badge, rating=5, comment="办事快")
    created = expect(
        reviews.sync_detailed(
            trip.seen["cadre_id"],
            client=trip.client,
            body=body,
            idempotency_key=str(uuid.uuid4()),
        ),
        201,
    )
    if created.points_awarded <= 0:
        raise FlowError("the review earned no points")
    trip.seen["points_awarded"] = created.points_awarded


def pay_at_till(trip: Trip) -> None:
    payments = trip.api("points.points_payments_create")
    amount = trip.seen["points_awarded"]
    body = trip.model("PaymentCreateInputRequest")(code=trip.till, amount_points=amount)
    paid = expect(
        payments.sync_detailed(client=trip.client, body=body, idempotency_key=str(uuid.uuid4())),
        201,
    )
    trip.seen["paid"] = amount
    trip.seen["payment_id"] = paid.id


def read_balance(trip: Trip) -> None:
    balance = trip.api("points.points_balance_retrieve")
    read = expect(balance.sync_detailed(client=trip.client), 200)
    trip.seen["redeemable"] = read.redeemable
    if read.redeemable != trip.seen["points_awarded"] - trip.seen["paid"]:
        raise FlowError(f"balance {read.redeemable} after earning and paying {trip.seen}")


FLOW = [sign_in, consent, scan_badge, review, pay_at_till, read_balance]


def run(*, client_dir, package: str, base_url: str, sms_file, phone, badge, till) -> dict:
    """Every step in order; returns what the trip saw. Raises FlowError on a wrong answer."""
    sys.path.insert(0, str(client_dir))
    try:
        trip = Trip(
            package=importlib.import_module(package),
            base_url=base_url,
            sms_file=pathlib.Path(sms_file),
            phone=phone,
            badge=badge,
            till=till,
        )
    finally:
        sys.path.remove(str(client_dir))
    try:
        for step in FLOW:
            step(trip)
    finally:
        trip.close()
    return trip.seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client-dir", required=True, help="the folder holding the package")
    parser.add_argument("--package", default="duoduo_client")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--sms-file", required=True)
    parser.add_argument("--phone", required=True)
    parser.add_argument("--badge", required=True, help="a cadre's badge URL")
    parser.add_argument("--till", required=True, help="a merchant's till (counter) URL")
    args = parser.parse_args(argv)
    seen = run(
        client_dir=args.client_dir,
        package=args.package,
        base_url=args.base_url,
        sms_file=args.sms_file,
        phone=args.phone,
        badge=args.badge,
        till=args.till,
    )
    print(f"resident flow through the generated client: OK {seen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
