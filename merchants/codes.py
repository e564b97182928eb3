"""The merchants app's printed codes: a till's one-time payment request ("pr", valid
PAYMENT_REQUEST_TTL_SECONDS) and a merchant's static counter code ("mc", rotatable):
their tokens and resolvers. MerchantsConfig.ready() registers each kind with its API
body (merchants.api.views) and its page (merchants.pages)."""

from core import codes
from points.models import Merchant

from .models import MerchantCode, PaymentRequest

REQUEST_TAG = "pr"
COUNTER_TAG = "mc"


def request_url(payment_request: PaymentRequest) -> str:
    return codes.code_url(codes.make_token(REQUEST_TAG, codes.b36(payment_request.pk)))


def resolve_request(payload: str) -> PaymentRequest:
    try:
        pk = int(payload, 36)
    except ValueError:
        raise codes.CodeInvalid() from None
    found = PaymentRequest.objects.select_related("merchant", "payment").filter(pk=pk).first()
    if found is None:
        raise codes.CodeInvalid()
    return found


def counter_code(merchant: Merchant) -> MerchantCode:
    """The merchant's counter code row (version 1 until rotated), created on first use."""
    code, _created = MerchantCode.objects.get_or_create(merchant=merchant)
    return code


def counter_url(merchant: Merchant) -> str:
    code = counter_code(merchant)
    return codes.code_url(
        codes.make_token(COUNTER_TAG, codes.versioned_payload(merchant.pk, code.code_version))
    )


def resolve_counter(payload: str) -> Merchant:
    pk, version = codes.parse_versioned_payload(payload)
    merchant = Merchant.objects.filter(pk=pk).select_related("till_code").first()
    if merchant is None:
        raise codes.CodeInvalid()
    current = getattr(merchant, "till_code", None)
    if (current.code_version if current is not None else 1) != version:
        raise codes.CodeRevoked()
    return merchant
