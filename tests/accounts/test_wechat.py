"""Sign-in from the WeChat mini program (POST /auth/wechat, DELETE /me/wechat), against a
loopback server that speaks WeChat's documented JSON (docs/wechat.md):

- GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code ->
  {"openid", "session_key", "unionid"?} or {"errcode", "errmsg"};
- POST /cgi-bin/stable_token {"grant_type": "client_credential", "appid", "secret",
  "force_refresh"} -> {"access_token", "expires_in"};
- POST /wxa/business/getuserphonenumber?access_token {"code"} -> {"errcode": 0, "errmsg":
  "ok", "phone_info": {"phoneNumber", "purePhoneNumber", "countryCode", "watermark"}}.
"""

import json
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User, WechatBinding
from accounts.sms import LocmemBackend
from accounts.wechat import TOKEN_KEY

pytestmark = pytest.mark.django_db

APP_ID = "wx0123456789abcdef"
SECRET = "test-wechat-secret"
PHONE = "13900139000"


class FakeWechat:
    """What the loopback WeChat knows: login codes, phone codes, the valid token, and
    every call it answered."""

    def __init__(self):
        self.logins: dict[str, dict] = {}  # js_code -> answer
        self.phones: dict[str, str] = {}  # phone code -> purePhoneNumber
        self.used: set[str] = set()
        self.token_serial = 0
        self.valid_token = ""
        self.calls: list[tuple[str, dict]] = []
        self.busy = False
        self.invalidate_after_issue = False

    def login(self, code, openid, unionid=None):
        answer = {"openid": openid, "session_key": f"sk-{code}"}
        if unionid:
            answer["unionid"] = unionid
        self.logins[code] = answer

    def answer(self, path, query, body):
        self.calls.append((path, {**query, **body}))
        if self.busy:
            return {"errcode": -1, "errmsg": "system error"}
        if path == "/sns/jscode2session":
            assert query["appid"] == APP_ID and query["secret"] == SECRET
            assert query["grant_type"] == "authorization_code"
            code = query["js_code"]
            if code in self.used:
                return {"errcode": 40163, "errmsg": "code been used"}
            if code not in self.logins:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used.add(code)
            return self.logins[code]
        if path == "/cgi-bin/stable_token":
            assert body["grant_type"] == "client_credential"
            assert body["appid"] == APP_ID and body["secret"] == SECRET
            self.token_serial += 1
            self.valid_token = f"ACCESS_TOKEN_{self.token_serial}"
            issued = self.valid_token
            if self.invalidate_after_issue:  # another party forces a refresh right after
                self.invalidate_after_issue = False
                self.token_serial += 1
                self.valid_token = f"ACCESS_TOKEN_{self.token_serial}"
            return {"access_token": issued, "expires_in": 7200}
        if path == "/wxa/business/getuserphonenumber":
            if query.get("access_token") != self.valid_token:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            code = body["code"]
            if code in self.used or code not in self.phones:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used.add(code)
            number = self.phones[code]
            return {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"timestamp": 1637744274, "appid": APP_ID},
                },
            }
        return {"errcode": 40066, "errmsg": "invalid url"}

    def paths(self):
        return [path for path, _params in self.calls]


@pytest.fixture
def wechat(settings):
    """A loopback WeChat at WECHAT_API_BASE."""
    fake = FakeWechat()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            body = {}
            if method == "POST":
                assert self.headers["Content-Type"] == "application/json"
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            data = json.dumps(fake.answer(url.path, query, body)).encode()
            self.send_response(200)  # WeChat answers 200 with errcode, whatever happened
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._reply("GET")

        def do_POST(self):
            self._reply("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = SECRET
    settings.WECHAT_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def sign_in(api, code, phone_code=None):
    body = {"code": code} if phone_code is None else {"code": code, "phone_code": phone_code}
    return api.post("/api/v1/auth/wechat", body, format="json")


def test_an_unbound_openid_binds_with_the_phone_then_signs_in_with_the_code_alone(api, wechat):
    """First sign-in: the phone WeChat verified creates the resident and binds the openid;
    the next sign-in needs only wx.login's code, and the tokens work like /auth/token's."""
    wechat.login("login-1", "openid-alice", unionid="union-alice")
    wechat.phones["phone-1"] = PHONE
    response = sign_in(api, "login-1", "phone-1")
    assert response.status_code == 200, response.json()
    body = response.json()
    # The same answer as /auth/token's, consent fields included (a new resident has none).
    assert set(body) == {
        "access",
        "refresh",
        "user",
        "consent_required",
        "privacy_version",
        "deletion_cancelled",
    }
    assert body["consent_required"] is True
    assert body["user"]["phone_masked"] == "+86139****9000"
    assert body["user"]["roles"] == ["resident"]
    user = User.objects.get(phone=f"+86{PHONE}")
    assert user.phone_verified_at is not None
    binding = WechatBinding.objects.get(openid="openid-alice")
    assert (binding.user, binding.unionid) == (user, "union-alice")

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api.get("/api/v1/me").json()["id"] == user.pk
    api.credentials()
    refreshed = api.post("/api/v1/auth/token/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200

    wechat.login("login-2", "openid-alice", unionid="union-alice")
    again = sign_in(api, "login-2")
    assert again.status_code == 200, again.json()
    assert again.json()["user"]["id"] == user.pk
    assert User.objects.filter(phone=f"+86{PHONE}").count() == 1
    # The access token was fetched once, for the phone, and is cached for the others.
    assert wechat.paths().count("/cgi-bin/stable_token") == 1


def test_an_unbound_openid_without_a_phone_code_is_409_and_binds_nothing(api, wechat):
    wechat.login("login-1", "openid-new")
    response = sign_in(api, "login-1")
    assert response.status_code == 409
    assert response.json()["code"] == "wechat_phone_required"
    assert not WechatBinding.objects.exists()
    assert not User.objects.exists()


def test_the_phone_of_an_existing_resident_binds_to_them(api, wechat, make_user):
    """A resident who signed in by SMS before keeps their account when they come from
    the mini program."""
    existing = make_user(phone=f"+86{PHONE}", display_name="Alice")
    wechat.login("login-1", "openid-alice")
    wechat.phones["phone-1"] = PHONE
    response = sign_in(api, "login-1", "phone-1")
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["id"] == existing.pk
    assert WechatBinding.objects.get(openid="openid-alice").user == existing


def test_an_expired_or_used_code_is_400_wechat_code_invalid(api, wechat):
    """An expired (unknown to WeChat: 40029) or already used (40163) code, and an invalid
    phone code, are the client's to redo: 400, nothing bound."""
    response = sign_in(api, "expired-code")
    assert response.status_code == 400
    assert response.json()["code"] == "wechat_code_invalid"

    wechat.login("login-1", "openid-alice")
    wechat.phones["phone-1"] = PHONE
    assert sign_in(api, "login-1", "phone-1").status_code == 200
    used = sign_in(api, "login-1")
    assert used.status_code == 400
    assert used.json()["code"] == "wechat_code_invalid"

    wechat.login("login-2", "openid-bob")
    phone_used = sign_in(api, "login-2", "phone-1")
    assert phone_used.status_code == 400
    assert phone_used.json()["code"] == "wechat_code_invalid"
    assert list(WechatBinding.objects.values_list("openid", flat=True)) == ["openid-alice"]


def test_a_token_invalidated_mid_flight_is_refreshed_once(api, wechat):
    """WeChat calls the cached access token invalid (40001: someone forced a refresh):
    it is fetched again once and the sign-in goes through with the new one."""
    wechat.invalidate_after_issue = True
    wechat.login("login-1", "openid-alice")
    wechat.phones["phone-1"] = PHONE
    response = sign_in(api, "login-1", "phone-1")
    assert response.status_code == 200, response.json()
    phone_calls = [p for p, q in wechat.calls if p == "/wxa/business/getuserphonenumber"]
    assert len(phone_calls) == 2
    assert wechat.paths().count("/cgi-bin/stable_token") == 2
    assert cache.get(TOKEN_KEY.format(app_id=APP_ID)) == wechat.valid_token


def test_a_token_still_invalid_after_the_refresh_is_503_not_a_loop(api, wechat):
    """Refreshed once only: if WeChat still refuses, 503 with Retry-After."""
    wechat.login("login-1", "openid-alice")
    wechat.phones["phone-1"] = PHONE
    cache.set(TOKEN_KEY.format(app_id=APP_ID), "STALE", 600)
    original = wechat.answer

    def always_invalid(path, query, body):
        if path == "/wxa/business/getuserphonenumber":
            wechat.calls.append((path, query))
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return original(path, query, body)

    wechat.answer = always_invalid
    response = sign_in(api, "login-1", "phone-1")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0
    assert wechat.paths().count("/wxa/business/getuserphonenumber") == 2
    assert wechat.paths().count("/cgi-bin/stable_token") == 1
    assert not WechatBinding.objects.exists()


@pytest.mark.parametrize("errcode", [-1, 45011])
def test_wechat_busy_or_throttling_is_503_with_retry_after(api, wechat, errcode):
    original = wechat.answer
    wechat.answer = lambda path, query, body: (
        original(path, query, body) and {"errcode": errcode, "errmsg": "busy"}
    )
    wechat.login("login-1", "openid-alice")
    response = sign_in(api, "login-1")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_wechat_unreachable_is_503_and_unconfigured_404(api, wechat, settings):
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"  # discard port: refused
    response = sign_in(api, "login-1")
    assert response.status_code == 503
    assert response["Retry-After"]
    settings.WECHAT_APP_ID = ""
    response = sign_in(api, "login-1")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bad_bodies_are_400_invalid(api, wechat):
    for body in ({}, {"code": ""}, {"code": 5}, {"code": "x" * 300}, {"code": "a b"}):
        response = api.post("/api/v1/auth/wechat", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"
    assert wechat.calls == []


def test_unbind_then_sms_sign_in_still_works(
    api, wechat, client_for, django_capture_on_commit_callbacks
):
    """DELETE /me/wechat: the openid no longer signs in (the phone is asked again), and
    the resident still signs in by SMS code."""
    wechat.login("login-1", "openid-alice")
    wechat.phones["phone-1"] = PHONE
    user_id = sign_in(api, "login-1", "phone-1").json()["user"]["id"]
    user = User.objects.get(pk=user_id)

    assert api.delete("/api/v1/me/wechat").status_code == 401
    me = client_for(user)
    assert me.delete("/api/v1/me/wechat").status_code == 204
    assert not WechatBinding.objects.exists()
    assert me.delete("/api/v1/me/wechat").status_code == 204  # nothing bound: still 204

    wechat.login("login-2", "openid-alice")
    response = sign_in(api, "login-2")
    assert response.status_code == 409
    assert response.json()["code"] == "wechat_phone_required"

    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post("/api/v1/auth/otp", {"phone": f"+86{PHONE}"}, format="json")
    assert sent.status_code == 202
    code = [m["code"] for m in LocmemBackend.outbox if m["phone"] == f"+86{PHONE}"][-1]
    by_sms = api.post("/api/v1/auth/token", {"phone": f"+86{PHONE}", "code": code}, format="json")
    assert by_sms.status_code == 200
    assert by_sms.json()["user"]["id"] == user_id


def test_the_schema_documents_both_routes(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/auth/wechat"]["post"]
    assert {"200", "400", "404", "409", "429", "503"} <= set(post["responses"])
    assert "wechat_phone_required" in post["responses"]["409"]["description"]
    assert "wechat_code_invalid" in post["responses"]["400"]["description"]
    assert "204" in schema["paths"]["/api/v1/me/wechat"]["delete"]["responses"]


def test_the_admin_shows_a_users_wechat_accounts(api, wechat):
    wechat.login("login-1", "openid-alice", unionid="union-alice")
    wechat.phones["phone-1"] = PHONE
    user_id = sign_in(api, "login-1", "phone-1").json()["user"]["id"]
    client = Client()
    client.force_login(User.objects.create_superuser("+8613900000088", "admin-password-1"))
    page = client.get(f"/admin/accounts/user/{user_id}/change/")
    assert page.status_code == 200
    assert "openid-alice" in page.text and "union-alice" in page.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_of_one_openid_at_once_make_one_user_and_one_binding(wechat):
    """Two threads (two connections) sign in the same new WeChat account at once: both
    get tokens for the same resident, and the openid is bound once."""
    for n in range(2):
        wechat.login(f"login-{n}", "openid-alice")
        wechat.phones[f"phone-{n}"] = PHONE
    barrier = threading.Barrier(2)

    def run(n):
        barrier.wait(timeout=30)
        try:
            return sign_in(APIClient(), f"login-{n}", f"phone-{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(run, range(2)))
    assert [answer.status_code for answer in answers] == [200, 200]
    user = User.objects.get(phone=f"+86{PHONE}")
    assert {answer.json()["user"]["id"] for answer in answers} == {user.pk}
    assert list(WechatBinding.objects.values_list("openid", "user")) == [("openid-alice", user.pk)]
