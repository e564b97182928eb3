"""Error reports: with SENTRY_DSN set, a failing view (gunicorn) and a failing task (a
real worker) send their event to the DSN's host, here a receiver on loopback; the error
is there, no phone number, ID number, code or token is."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from config.celery import app
from config.sentry import before_breadcrumb, before_send
from core.logs import scrub_text
from tests.core.crash_urls import CRASH_ID_NUMBER, CRASH_PHONE
from tests.gunicorn_server import Gunicorn
from tests.redis_server import free_port
from tests.workers import start_worker, stop_worker

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiNDIifQ.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
SECRETS = ("13912345678", CRASH_ID_NUMBER, TOKEN, "654321", "session-secret-cookie")


class Receiver:
    """A Sentry stand-in: keeps every envelope POSTed to it (decompressed)."""

    def __init__(self):
        self.envelopes: list[str] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append(body.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_address[1]}/1"

    def events(self, seconds: float = 60) -> list[dict]:
        """The error events received (waiting up to `seconds` for the first)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [
                json.loads(item)
                for envelope in list(self.envelopes)
                for item in envelope.splitlines()[1:]
                if item.startswith("{") and '"exception"' in item
            ]
            if found:
                return found
            time.sleep(0.2)
        return []

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def assert_clean(receiver: Receiver) -> None:
    everything = "\n".join(receiver.envelopes)
    for secret in SECRETS:
        assert secret not in everything, secret


@pytest.mark.django_db(transaction=True)
def test_a_failing_view_is_reported_scrubbed(receiver, tmp_path):
    """gunicorn with SENTRY_DSN: the view's RuntimeError arrives, with the request id,
    without the phone in its message or locals, the ID number, the token in the
    Authorization header, the cookie or the code in the query string and body."""
    server = Gunicorn(
        tmp_path,
        {
            "DJANGO_SETTINGS_MODULE": "tests.core.crash_settings",
            "SENTRY_DSN": receiver.dsn,
            "REDIS_URL": None,
        },
        workers=1,
    )
    try:
        status, headers, _ = server.call(
            "POST",
            "/api/v1/test-crash?code=654321&phone=13912345678",
            {"phone": CRASH_PHONE, "code": "654321"},
            {
                "Authorization": f"Bearer {TOKEN}",
                "Cookie": "sessionid=session-secret-cookie",
                "X-Request-Id": "crash-1",
            },
        )
        assert status == 500
        events = receiver.events()
    finally:
        server.stop()
    assert events, "no event reached the receiver"
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "crashed on purpose" in event["exception"]["values"][-1]["value"]
    assert event["tags"]["request_id"] == "crash-1"
    assert_clean(receiver)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_reported_scrubbed(receiver):
    """A real worker with SENTRY_DSN: the task's ValueError arrives; the phone number it
    was given (in its arguments and the error's message) does not."""
    queue = f"sentry-{free_port()}"
    worker = start_worker(queue, env={"SENTRY_DSN": receiver.dsn})
    try:
        result = app.send_task("points.tasks.points_expiry_notify", args=[CRASH_PHONE], queue=queue)
        with pytest.raises(ValueError):
            result.get(timeout=60)
        events = receiver.events()
    finally:
        stop_worker(worker)
    assert events, "no event reached the receiver"
    assert events[0]["exception"]["values"][-1]["type"] == "ValueError"
    assert_clean(receiver)


def test_the_scrubber_leaves_nothing_personal():
    """The scrubber on its own: headers, cookies, query, body, locals, user, breadcrumbs."""
    event = {
        "message": f"sign-in code 654321 for {CRASH_PHONE}",
        "request": {
            "url": "https://example.test/q/abc?token=secret",
            "query_string": "phone=13912345678",
            "cookies": {"sessionid": "session-secret-cookie"},
            "data": {"phone": CRASH_PHONE},
            "headers": {"Authorization": f"Bearer {TOKEN}", "User-Agent": "app/1"},
        },
        "user": {"id": "42", "ip_address": "10.0.0.1", "username": CRASH_PHONE},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad {CRASH_ID_NUMBER}",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"p": CRASH_PHONE}}]},
                }
            ]
        },
        "extra": {"celery-job": {"args": [CRASH_PHONE], "kwargs": {"code": "654321"}}},
    }
    scrubbed = json.dumps(before_send(event, {}))
    for secret in SECRETS:
        assert secret not in scrubbed
    assert "app/1" in scrubbed and '"id": "42"' in scrubbed and "ValueError" in scrubbed
    crumb = before_breadcrumb({"message": f"SMS to {CRASH_PHONE}", "data": {"code": 1}}, {})
    assert "13912345678" not in json.dumps(crumb)
    assert scrub_text("验证码：123456") == "验证码：[Filtered]"
    assert settings.SENTRY_DSN == ""  # the test process itself sends nothing
