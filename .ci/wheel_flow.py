"""A resident's flow against gunicorn serving the installed wheel (.ci/wheel.sh): sign-in
by SMS code, a scan of a badge, a review; then /readyz, /metrics, and the JSON log line
of a request carrying the request id its response header showed. Standard library only.

Usage: wheel_flow.py BASE_URL BADGE_URL SMS_FILE GUNICORN_LOG"""

import json
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE, BADGE, SMS_FILE, LOG = sys.argv[1:5]
PHONE = "+8613800000042"


def call(method, path, body=None, token=None, request_id=None):
    """(status, headers, body) of one request; JSON in and out where there is a body."""
    request = urllib.request.Request(BASE + path, method=method)  # noqa: S310 (http on loopback)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if request_id:
        request.add_header("X-Request-Id", request_id)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def expect(status, got, what):
    if got[0] != status:
        sys.exit(f"{what}: {got[0]} (expected {status}): {got[2][:500]!r}")
    return json.loads(got[2]) if got[2] and "json" in got[1].get("Content-Type", "") else got[2]


for _ in range(60):
    try:
        if call("GET", "/healthz")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(1)
else:
    sys.exit("gunicorn never answered /healthz")

otp_request_id = f"ci-wheel-{uuid.uuid4().hex[:12]}"
sent = call("POST", "/api/v1/auth/otp", {"phone": PHONE}, request_id=otp_request_id)
expect(202, sent, "POST /api/v1/auth/otp")
if sent[1].get("X-Request-Id") != otp_request_id:
    sys.exit(f"X-Request-Id: {sent[1].get('X-Request-Id')!r}, sent {otp_request_id!r}")
with open(SMS_FILE, encoding="utf-8") as lines:
    code = [json.loads(line) for line in lines if PHONE in line][-1]["code"]
tokens = expect(200, call("POST", "/api/v1/auth/token", {"phone": PHONE, "code": code}), "token")
token = tokens["access"]
notice = expect(200, call("GET", "/api/v1/privacy"), "GET /api/v1/privacy")
expect(201, call("POST", "/api/v1/me/consents", {"version": notice["version"]}, token), "consent")
scanned = expect(200, call("POST", "/api/v1/scan", {"code": BADGE}, token), "POST /api/v1/scan")
if scanned["type"] != "cadre":
    sys.exit(f"the badge scanned as {scanned!r}")
cadre = scanned["cadre"]["id"]
review = {"code": BADGE, "rating": 5, "tags": [], "comment": "办事快"}
created = expect(201, call("POST", f"/api/v1/cadres/{cadre}/reviews", review, token), "review")
me = expect(200, call("GET", "/api/v1/me", token=token), "GET /api/v1/me")
if me["redeemable_balance"] != created["points_awarded"]:
    sys.exit(
        f"balance {me['redeemable_balance']} after a review awarding {created['points_awarded']}"
    )

ready = expect(200, call("GET", "/readyz"), "GET /readyz")
if ready.get("database") != "ok" or ready.get("redis") not in ("ok", "degraded"):
    sys.exit(f"/readyz said {ready!r}")
metrics = expect(200, call("GET", "/metrics"), "GET /metrics").decode()
if "# TYPE" not in metrics:
    sys.exit("/metrics is not in Prometheus' text format")

# gunicorn writes its log lines as they happen; give the last one a moment to land.
for _ in range(20):
    with open(LOG, encoding="utf-8") as log:
        records = [json.loads(line) for line in log if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == otp_request_id]
    if mine:
        break
    time.sleep(0.5)
else:
    sys.exit(f"no JSON log line with request_id {otp_request_id} in {LOG}")
line = mine[0]
if line.get("status") != 202 or PHONE in json.dumps(records, ensure_ascii=False):
    sys.exit(f"the log line {line!r} (status 202 expected, no phone number anywhere)")
print(
    f"wheel: signed in, scanned, reviewed (+{created['points_awarded']} points); "
    f"/readyz {ready}; /metrics {len(metrics.splitlines())} lines; log line {line}"
)
