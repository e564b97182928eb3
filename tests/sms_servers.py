"""Loopback HTTP servers that speak the SMS providers' documented SendSms request and
answer (Aliyun dysmsapi 2017-05-25, Tencent Cloud sms 2021-01-11), for the SDKs pointed
at them through SMS_ALIYUN_ENDPOINT / SMS_TENCENT_ENDPOINT.

Each checks the SDK's signature fields are there and the action is SendSms, records what
it was asked, and answers as `server.answer` says: "accept", "throttle", "invalid"
(an invalid number) or "busy" (an HTTP 503 outage).
"""

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ALIYUN_CODES = {
    "throttle": ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
    "invalid": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
}
TENCENT_CODES = {
    "throttle": (
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit",
    ),
    "invalid": ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"),
}


class SmsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.answer = "accept"
        self.requests: list[dict] = []
        self.ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: SmsServer
    content_type = "application/json;charset=utf-8"

    def log_message(self, format, *args):  # quiet
        pass

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class AliyunHandler(_Handler):
    """Aliyun's RPC API: Action=SendSms, the ACS3-HMAC-SHA256 Authorization header (or
    the older Signature query field), PhoneNumbers, SignName, TemplateCode,
    TemplateParam; answers {"Code", "Message", "BizId", "RequestId"}."""

    def do_POST(self):
        raw = self.body()
        url = urlsplit(self.path)
        fields = {k: v[0] for k, v in parse_qs(url.query).items()}
        fields.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        action = self.headers.get("x-acs-action") or fields.get("Action")
        signed = "Signature=" in (self.headers.get("Authorization") or "") or "Signature" in fields
        self.server.requests.append(
            {"action": action, "signed": signed, "fields": fields, "headers": dict(self.headers)}
        )
        request_id = f"REQ-{next(self.server.ids)}"
        if action != "SendSms" or not signed:
            return self.reply(
                400, {"Code": "InvalidAction", "Message": "bad request", "RequestId": request_id}
            )
        if self.server.answer == "busy":
            return self.reply(
                503,
                {
                    "Code": "ServiceUnavailable",
                    "Message": "The request has failed due to a temporary failure of the server.",
                    "RequestId": request_id,
                },
            )
        if self.server.answer in ALIYUN_CODES:
            code, message = ALIYUN_CODES[self.server.answer]
            return self.reply(200, {"Code": code, "Message": message, "RequestId": request_id})
        biz_id = f"90061974693649844{next(self.server.ids)}^0"
        return self.reply(
            200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}
        )

    do_GET = do_POST


class TencentHandler(_Handler):
    """Tencent Cloud API 3.0: X-TC-Action: SendSms, X-TC-Version: 2021-01-11, the
    TC3-HMAC-SHA256 Authorization header; a JSON body with PhoneNumberSet, SmsSdkAppId,
    SignName, TemplateId, TemplateParamSet; answers {"Response": {"SendStatusSet": [...]}}
    or {"Response": {"Error": {...}}}."""

    content_type = "application/json"

    def do_POST(self):
        body = json.loads(self.body() or b"{}")
        action = self.headers.get("X-TC-Action")
        signed = (self.headers.get("Authorization") or "").startswith("TC3-HMAC-SHA256 Credential=")
        self.server.requests.append(
            {"action": action, "signed": signed, "fields": body, "headers": dict(self.headers)}
        )
        request_id = f"req-{next(self.server.ids)}"
        if action != "SendSms" or not signed or self.headers.get("X-TC-Version") != "2021-01-11":
            error = {"Code": "InvalidAction", "Message": "bad request"}
            return self.reply(200, {"Response": {"Error": error, "RequestId": request_id}})
        if self.server.answer == "busy":
            error = {"Code": "InternalError.Timeout", "Message": "timeout"}
            return self.reply(200, {"Response": {"Error": error, "RequestId": request_id}})
        statuses = []
        for phone in body.get("PhoneNumberSet", []):
            if self.server.answer in TENCENT_CODES:
                code, message = TENCENT_CODES[self.server.answer]
                serial = ""
            else:
                code, message = "Ok", "send success"
                serial = f"2028:{next(self.server.ids)}6934398{next(self.server.ids)}"
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": 1,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            )
        return self.reply(200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}})


def aliyun_server() -> SmsServer:
    return SmsServer(AliyunHandler)


def tencent_server() -> SmsServer:
    return SmsServer(TencentHandler)
