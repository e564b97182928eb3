"""The start-up check of SMS_TEMPLATES: with a provider that sends templates (aliyun,
tencent) among the SMS backends, every kind of message that can go by SMS (the codes
"sign_in" and "desk", each notification kind with an SMS) needs its template there."""

from django.core.exceptions import ImproperlyConfigured

from accounts.models import OtpCode
from accounts.sms import backend_names
from accounts.sms_providers import templates_for

from . import kinds

TEMPLATE_PROVIDERS = ("aliyun", "tencent")


def sms_kinds() -> list[str]:
    return [
        *OtpCode.Purpose.values,
        *sorted(name for name, kind in kinds.KINDS.items() if kind.sms),
    ]


def sms_templates_missing() -> dict[str, list[str]]:
    """{provider: [kinds without a template there]} for the configured providers."""
    providers = [name for name in backend_names() if name in TEMPLATE_PROVIDERS]
    missing = {
        provider: [kind for kind in sms_kinds() if not templates_for(kind).get(provider)]
        for provider in providers
    }
    return {provider: names for provider, names in missing.items() if names}


def sms_templates_check() -> None:
    missing = sms_templates_missing()
    if missing:
        named = "; ".join(f"{provider}: {', '.join(names)}" for provider, names in missing.items())
        raise ImproperlyConfigured(
            f"SMS_TEMPLATES has no template for these kinds of message ({named}). "
            "docs/sms.md says how to name one per kind."
        )
