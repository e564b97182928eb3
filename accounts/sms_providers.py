"""The providers' backends: Aliyun (SMS_BACKEND=aliyun, the official SDK
`alibabacloud-dysmsapi20170525`) and Tencent Cloud (SMS_BACKEND=tencent,
`tencentcloud-sdk-python-sms`). Each maps its provider's answer to an outcome: accepted
(`SmsSent` with the provider's message id), retry later or elsewhere (`SmsRetry`:
throttled, busy, outage) or failed for good (`SmsRejected`: invalid or blacklisted
number, unapproved template or sign name). docs/sms.md has the tables.
"""

import json
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models as aliyun_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunClient
from alibabacloud_tea_openapi import models as aliyun_openapi
from alibabacloud_tea_util import models as aliyun_util
from django.conf import settings
from tencentcloud.common import credential as tencent_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient as TencentClient

from .sms import SmsMessage, SmsRejected, SmsRetry, SmsSent

# --- Outcomes: the provider codes that fail a message for good. Anything else that is
# not an acceptance (throttled, busy, an outage, a code we do not know) is retried later
# or through the next provider: resending what one provider refused for the message's
# own sake (the number, the template) would only be refused again.

ALIYUN_REJECTED = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
    }
)
TENCENT_REJECTED = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.ContentLengthLimit",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    }
)


def outcome_error(*, provider: str, code: str, detail: str, rejected: frozenset[str]):
    """The exception for a provider's refusal `code`: SmsRejected or SmsRetry."""
    error_class = SmsRejected if code in rejected else SmsRetry
    return error_class(f"{provider} {code}: {detail}"[:280], provider=provider, code=code)


def endpoint_parts(endpoint: str) -> tuple[str, str]:
    """("https", "dysmsapi.aliyuncs.com") from a host name, or (scheme, host:port) from a
    full URL such as http://127.0.0.1:9000 (a test's server, a district's gateway)."""
    if "://" not in endpoint:
        return "https", endpoint.strip().rstrip("/")
    parts = urlsplit(endpoint)
    return parts.scheme, parts.netloc


def templates_for(kind: str) -> dict[str, str]:
    """SMS_TEMPLATES[kind] as {provider: template}; a plain string serves every provider."""
    template = settings.SMS_TEMPLATES.get(kind)
    if template is None:
        return {}
    if isinstance(template, str):
        return {"aliyun": template, "tencent": template}
    return dict(template)


def template_of(provider: str, kind: str) -> str:
    template = templates_for(kind).get(provider)
    if not template:
        # The start-up check (notifications.checks) names these; a kind added later:
        raise SmsRejected(
            f"{provider}: no template for {kind!r} in SMS_TEMPLATES", provider=provider
        )
    return template


class AliyunBackend:
    """SendSms (2017-05-25) with sign name, template code and template parameters."""

    name = "aliyun"

    def client(self) -> AliyunClient:
        protocol, host = endpoint_parts(settings.SMS_ALIYUN_ENDPOINT)
        config = aliyun_openapi.Config(
            access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
            access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
            endpoint=host,
            protocol=protocol,
            region_id=settings.SMS_ALIYUN_REGION,
        )
        return AliyunClient(config)

    def send(self, message: SmsMessage) -> SmsSent:
        # Aliyun takes a mainland number without +86, others with their country code.
        phone = (
            message.phone.removeprefix("+86")
            if message.phone.startswith("+86")
            else message.phone.lstrip("+")
        )
        request = aliyun_models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=settings.SMS_ALIYUN_SIGN_NAME,
            template_code=template_of(self.name, message.kind),
            template_param=json.dumps(message.variables, ensure_ascii=False),
            out_id=message.key[:64] or None,
        )
        timeout = settings.SMS_TIMEOUT * 1000
        runtime = aliyun_util.RuntimeOptions(
            autoretry=False, connect_timeout=timeout, read_timeout=timeout
        )
        try:
            response = self.client().send_sms_with_options(request, runtime)
        except Exception as error:  # the SDK's: an HTTP error answer or no answer
            code = str(getattr(error, "code", "") or type(error).__name__)
            raise outcome_error(
                provider=self.name,
                code=code,
                detail=str(getattr(error, "message", error)),
                rejected=ALIYUN_REJECTED,
            ) from error
        body = response.body
        if body.code != "OK":
            raise outcome_error(
                provider=self.name,
                code=body.code or "",
                detail=body.message or "",
                rejected=ALIYUN_REJECTED,
            )
        return SmsSent(provider=self.name, message_id=body.biz_id or "")


class TencentBackend:
    """SendSms (2021-01-11) with SDK app id, sign name, template id and parameter set."""

    name = "tencent"

    def client(self) -> TencentClient:
        protocol, host = endpoint_parts(settings.SMS_TENCENT_ENDPOINT)
        http = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=settings.SMS_TIMEOUT)
        credential = tencent_credential.Credential(
            settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY
        )
        return TencentClient(
            credential, settings.SMS_TENCENT_REGION, ClientProfile(httpProfile=http)
        )

    def send(self, message: SmsMessage) -> SmsSent:
        request = tencent_models.SendSmsRequest()
        request.PhoneNumberSet = [message.phone]
        request.SmsSdkAppId = settings.SMS_TENCENT_SDK_APP_ID
        request.SignName = settings.SMS_TENCENT_SIGN_NAME
        request.TemplateId = template_of(self.name, message.kind)
        request.TemplateParamSet = list(message.variables.values())
        request.SessionContext = message.key[:128]
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or "ClientError"
            raise outcome_error(
                provider=self.name,
                code=code,
                detail=error.get_message() or "",
                rejected=TENCENT_REJECTED,
            ) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsRetry(f"{self.name}: an answer without a send status", provider=self.name)
        status = statuses[0]
        if status.Code != "Ok":
            raise outcome_error(
                provider=self.name,
                code=status.Code or "",
                detail=status.Message or "",
                rejected=TENCENT_REJECTED,
            )
        return SmsSent(provider=self.name, message_id=status.SerialNo or "")
