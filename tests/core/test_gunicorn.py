"""gunicorn with config/gunicorn.py refuses oversized request lines and headers at once,
before a worker spends its CPU on them."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.workers import stop_worker

ROOT = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn on a free loopback port with the project's settings file (SQLite)."""
    port = _free_port()
    env = {
        **os.environ,
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdefghijklmnop",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SQLITE_PATH": str(tmp_path_factory.mktemp("gunicorn") / "db.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"]
        + ["--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310 (http)
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("gunicorn exited at start")
                time.sleep(0.2)
        yield port
    finally:
        stop_worker(process)


def _send_and_read(port: int, request_head: bytes) -> bytes:
    """Send `request_head` (from another thread: the server may stop reading) and return
    what comes back within CLIENT_TIMEOUT; b"" when the server closed or reset at once."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as conn:

        def send():
            # Refused mid-way: the server closes the connection while we still send.
            with contextlib.suppress(OSError):
                conn.sendall(request_head)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            return conn.recv(200)
        except TimeoutError:
            pytest.fail(f"no answer within {CLIENT_TIMEOUT} s: the request was not refused")
        except OSError:  # reset by the server
            return b""
        finally:
            with contextlib.suppress(OSError):  # already reset by the server
                conn.shutdown(socket.SHUT_RDWR)
            sender.join(timeout=CLIENT_TIMEOUT)


def _status(answer: bytes) -> int | None:
    return int(answer.split()[1]) if answer.startswith(b"HTTP/1.") else None


def test_it_refuses_a_20_mb_request_line_at_once(gunicorn):
    """A 20 MB request line is answered 414 (or the connection is cut) within a few
    seconds, instead of a worker parsing it for minutes."""
    head = (
        b"GET /api/v1/rankings?q="
        + b"a" * (20 * 1024 * 1024)
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    answer = _send_and_read(gunicorn, head)
    assert answer == b"" or _status(answer) in (400, 414), answer[:100]


def test_it_refuses_a_huge_header_at_once(gunicorn):
    """A 20 MB header value is refused the same way (431/400)."""
    head = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: "
        + b"a" * (20 * 1024 * 1024)
        + b"\r\n\r\n"
    )
    answer = _send_and_read(gunicorn, head)
    assert answer == b"" or _status(answer) in (400, 431), answer[:100]


def test_it_still_serves_an_ordinary_request(gunicorn):
    """Requests within the limits reach Django: /healthz answers 200."""
    url = f"http://127.0.0.1:{gunicorn}/healthz?x={'a' * 4000}"
    with urllib.request.urlopen(url) as r:  # noqa: S310 (http)
        assert r.status == 200


def _longest(schema: dict) -> int:
    """The longest value a conforming client may send for a parameter of `schema`."""
    if "enum" in schema:
        return max(len(str(value)) for value in schema["enum"])
    if schema.get("type") == "integer":
        return max(len(str(schema["minimum"])), len(str(schema["maximum"])))
    if "maxLength" in schema:
        return schema["maxLength"] * 3  # percent-encoded UTF-8
    pattern = schema.get("pattern", "")
    assert pattern, f"unbounded parameter schema {schema}"
    return 255 * 3


def test_it_documents_bounds_that_keep_every_request_line_within_gunicorns_limit():
    """Every query and path parameter of the schema has a documented bound, and the
    longest conforming request line of each operation fits in gunicorn's 8190 bytes,
    so schemathesis (and any client) never meets gunicorn's HTML refusal."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            line = len(method) + len(path) + len(" HTTP/1.1") + 1
            for parameter in parameters:
                if parameter["in"] in ("query", "path"):
                    line += len(parameter["name"]) + 2 + _longest(parameter["schema"])
            assert line < 8190, (method, path, line)


def _json_refusal(port: int, request_head: bytes) -> tuple[int, dict]:
    """Status and JSON body of gunicorn's answer to a request just over a limit (small
    enough that it is read whole, so the answer is never lost to a reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as conn:
        conn.sendall(request_head)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head, head
    return _status(answer), json.loads(body)


def test_it_answers_an_overlong_request_line_with_the_json_error_body(gunicorn):
    """A request line of 9000 bytes is 400 with the API's JSON body (`invalid`), not
    gunicorn's HTML page (CI's schemathesis checks content types)."""
    line = b"GET /api/v1/rankings?cursor=" + b"a" * 9000 + b" HTTP/1.1\r\n"
    status, body = _json_refusal(gunicorn, line + b"Host: 127.0.0.1\r\n\r\n")
    assert status == 400
    assert body["code"] == "invalid" and body["detail"]


def test_it_answers_an_overlong_header_with_431_and_the_json_error_body(gunicorn):
    """A header of 9000 bytes is 431 `request_too_large`, in JSON."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: " + b"a" * 9000 + b"\r\n\r\n"
    status, body = _json_refusal(gunicorn, head)
    assert status == 431
    assert body["code"] == "request_too_large"
