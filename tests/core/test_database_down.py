"""PostgreSQL taken away under a running application (gunicorn on a cluster of the test's
own): every request that needs it answers 503 `service_unavailable` with Retry-After
(the API's error body; a small Chinese page elsewhere), never 500, and everything works
again once it is back. A restart under load gives 503s, never a 500.
"""

import contextlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core import codes
from stalls.codes import SITE_TAG
from tests.redis_server import free_port
from tests.workers import stop_worker

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
CHINESE_PAGE = "服务暂时不可用"


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    cookies: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)


@dataclass
class App:
    port: int
    sms_file: Path

    def call(self, method, path, *, data=None, form=None, headers=None, cookies=None) -> Answer:
        """One request on a new connection: `data` as JSON, `form` as a urlencoded form."""
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answer = Answer(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                response.read(),
            )
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _sep, rest = value.partition("=")
                    answer.cookies[cookie_name] = rest.split(";", 1)[0]
            return answer
        finally:
            conn.close()

    def code_sent_to(self, phone: str) -> str:
        lines = self.sms_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if json.loads(line)["phone"] == phone][-1][
            "code"
        ]


def _env(database_url: str, sms_file: Path) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": settings.SECRET_KEY,  # the test signs /q/ tokens with it
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url,
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
    }
    # Without Redis: a local-memory cache, so nothing is answered from a cache.
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)
    env.pop("DATABASE_PGBOUNCER", None)
    return env


@pytest.fixture(scope="module")
def app(own_postgres, tmp_path_factory):
    """gunicorn (1 worker, 4 threads, the project's settings) on `own_postgres`, migrated."""
    folder = tmp_path_factory.mktemp("database-down")
    sms_file = folder / "sms.jsonl"
    env = _env(own_postgres.url, sms_file)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    port = free_port()
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        + ["--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    served = App(port=port, sms_file=sms_file)
    try:
        for _ in range(150):
            with contextlib.suppress(OSError):
                if served.call("GET", "/healthz").status == 200:
                    break
            if process.poll() is not None:
                pytest.fail("gunicorn exited at start")
            time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer /healthz")
        yield served
    finally:
        stop_worker(process)
        log.close()


@pytest.fixture(scope="module")
def people(app):
    """A resident signed in to the API (a bearer token) and one signed in to the pages
    (session and CSRF cookies), each through the sign-in by SMS code."""
    api_phone, page_phone = "+8613900000001", "+8613900000002"
    assert app.call("POST", "/api/v1/auth/otp", data={"phone": api_phone}).status == 202
    token = app.call(
        "POST",
        "/api/v1/auth/token",
        data={"phone": api_phone, "code": app.code_sent_to(api_phone)},
    ).json()["access"]

    csrf = app.call("GET", "/admin/login/").cookies["csrftoken"]
    cookies = {"csrftoken": csrf}
    asked = app.call(
        "POST",
        "/signin/code",
        form={"phone": page_phone, "csrfmiddlewaretoken": csrf},
        cookies=cookies,
    )
    assert asked.status == 302, asked.body[:300]
    cookies.update(asked.cookies)
    signed_in = app.call(
        "POST",
        "/signin/verify",
        form={
            "phone": page_phone,
            "code": app.code_sent_to(page_phone),
            "csrfmiddlewaretoken": csrf,
        },
        cookies=cookies,
    )
    assert signed_in.status == 302, signed_in.body[:300]
    cookies.update(signed_in.cookies)
    assert "sessionid" in cookies
    return {"bearer": {"Authorization": f"Bearer {token}"}, "cookies": cookies, "csrf": csrf}


def _requests(people) -> dict[str, tuple[bool, str, str, dict]]:
    """Every kind of request: name -> (an API path?, method, path, options)."""
    site_code = codes.make_token(SITE_TAG, codes.versioned_payload(1, 1))
    csrf, cookies, bearer = people["csrf"], people["cookies"], people["bearer"]
    return {
        "API GET, anonymous": (True, "GET", "/api/v1/units", {}),
        # A code for a phone that was sent none: 400 `otp_invalid` after a database read.
        "API POST, anonymous": (
            True,
            "POST",
            "/api/v1/auth/token",
            {"data": {"phone": "+8613900000009", "code": "000000"}},
        ),
        "API GET, signed in": (True, "GET", "/api/v1/me", {"headers": bearer}),
        "API POST, signed in": (
            True,
            "POST",
            "/api/v1/notifications/read",
            {"headers": bearer, "data": {"all": True}},
        ),
        "page, signed in": (False, "GET", "/notifications", {"cookies": cookies}),
        "admin login": (
            False,
            "POST",
            "/admin/login/",
            {
                "form": {
                    "username": "+8613800000000",
                    "password": "wrong-password",
                    "csrfmiddlewaretoken": csrf,
                },
                "cookies": {"csrftoken": csrf},
            },
        ),
        "admin, signed in": (False, "GET", "/admin/", {"cookies": cookies}),
        "page, anonymous (a printed code)": (False, "GET", f"/q/{site_code}", {}),
    }


def test_it_answers_503_everywhere_while_postgresql_is_down_and_recovers(app, people, own_postgres):
    """PostgreSQL stopped: every kind of request (API GET and POST, anonymous and signed
    in, a page, the admin's sign-in, a printed code) answers 503 with Retry-After: the
    API's body `service_unavailable`, a Chinese page with the security headers elsewhere.
    Started again: every one answers as it did before."""
    requests = _requests(people)
    before = {}
    for name, (_api, method, path, options) in requests.items():
        before[name] = app.call(method, path, **options).status
        assert before[name] < 500, (name, before[name])

    own_postgres.stop()
    try:
        for name, (api, method, path, options) in requests.items():
            answer = app.call(method, path, **options)
            assert answer.status == 503, (name, answer.status, answer.body[:500])
            assert int(answer.headers["retry-after"]) > 0, name
            assert answer.headers["x-content-type-options"] == "nosniff", name
            assert "content-security-policy" in answer.headers, name
            if api:
                body = answer.json()
                assert body["code"] == "service_unavailable", name
                assert set(body) == {"code", "detail", "request_id"}, name
            else:
                assert answer.headers["content-type"].startswith("text/html"), name
                page = answer.body.decode()
                assert CHINESE_PAGE in page, name
                assert len(page) < 1000, name
    finally:
        own_postgres.start()

    after = {
        name: app.call(method, path, **options).status
        for name, (_a, method, path, options) in requests.items()
    }
    assert after == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.core.urls")
def test_it_answers_503_when_the_database_goes_away_in_a_middleware(client):
    """The connection ends after the view, when SessionMiddleware saves the session:
    Django answers at that middleware through handler500, which says 503 too."""
    client.raise_request_exception = False
    try:
        response = client.get("/test/database-lost")
    finally:
        connection.close()  # the ended one (the test client keeps connections open)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert response.content.decode().count("<h1>") == 1


def test_it_gives_no_500_while_postgresql_restarts_under_load(app, people, own_postgres):
    """Four clients keep sending while PostgreSQL stops for a second and starts again:
    every answer is 2xx-4xx or 503, some of them 503; afterwards everything answers."""
    requests = list(_requests(people).values())
    statuses: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def client(offset: int):
        index = offset
        while not stop.is_set():
            _api, method, path, options = requests[index % len(requests)]
            index += 1
            try:
                statuses.append(app.call(method, path, **options).status)
            except OSError as error:
                failures.append(f"{method} {path}: {error!r}")

    clients = [threading.Thread(target=client, args=(offset,)) for offset in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1)
        own_postgres.stop()
        time.sleep(1)
        own_postgres.start()
        time.sleep(2)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)

    assert not failures, failures[:5]
    assert 500 not in statuses
    assert all(status < 500 or status == 503 for status in statuses), sorted(set(statuses))
    assert 503 in statuses  # the outage was seen, and said so
    for _api, method, path, options in requests:
        assert app.call(method, path, **options).status < 500, path
