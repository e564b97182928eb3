"""Pages: a till's or counter code opened in a phone browser (/q/<token>, pay with a
session signed in by SMS code), and the merchant's own page (/merchant/): today's
payments and vouchers, the till, refunds, statements and their CSV."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.consent import PAGE_CONSENT_MESSAGE, consent_missing, consent_prompt
from core import codes
from core.errors import DomainError
from core.form_nonces import submit_once
from core.formfields import StrictIntegerField
from core.forms import error_message
from core.integers import MAX_ID, parse_int
from core.qr import qr_svg
from points.models import Merchant
from points.selectors import resident_summary

from . import selectors, services
from .api.views import statement_csv
from .codes import counter_url, request_url
from .models import PaymentRequest, Statement


class AmountForm(forms.Form):
    amount_points = StrictIntegerField(
        label=gettext_lazy("Points"), min_value=1, max_value=100_000_000
    )


def _pay_context(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {
        "balance": resident_summary(user=request.user).redeemable,
        "consent": consent_prompt(user=request.user),  # paying collects data
    }


def request_page(request, payment_request: PaymentRequest):
    return render(
        request,
        "merchants/request_page.html",
        {
            "payment_request": payment_request,
            "token": codes.token_from_code(request_url(payment_request)),
            **_pay_context(request),
        },
    )


def counter_page(request, merchant: Merchant):
    return render(
        request,
        "merchants/counter_page.html",
        {
            "merchant": merchant,
            "token": codes.token_from_code(counter_url(merchant)),
            "form": AmountForm(),
            **_pay_context(request),
        },
    )


@require_POST
def pay(request, token):
    """A signed-in resident pays the code of `token` (the amount typed for a counter code),
    once per form: a second submit of the same form shows the first's outcome."""
    back = f"/q/{token}"
    if not request.user.is_authenticated:
        return redirect(back)
    return submit_once(request, lambda: _pay(request, token, back), back=back)


def _pay(request, token, back):
    if consent_missing(user=request.user):  # as the API's 409 consent_required: no write
        messages.error(request, str(PAGE_CONSENT_MESSAGE))
        return redirect(back)
    try:
        resolved = codes.resolve(token)
        if resolved.kind.type == "payment_request":
            made = services.payment_create(resident=request.user, request=resolved.obj)
        elif resolved.kind.type == "merchant":
            form = AmountForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Type a whole number of points."))
                return redirect(back)
            made = services.payment_create(
                resident=request.user,
                merchant=resolved.obj,
                amount_points=form.cleaned_data["amount_points"],
            )
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect(back)
    messages.success(
        request,
        _("Paid %(points)d points to %(merchant)s. Balance: %(balance)d.")
        % {
            "points": made.payment.amount_points,
            "merchant": made.payment.merchant.name,
            "balance": made.balance,
        },
    )
    return redirect(back)


def _merchant_or_none(request) -> Merchant | None:
    if not request.user.is_authenticated:
        return None
    return selectors.merchant_of(user=request.user)


def merchant_page(request):
    """/merchant/: the signed-in merchant's day (its own data only)."""
    merchant = _merchant_or_none(request)
    context = {"merchant": merchant}
    if merchant is not None:
        ids = [merchant.pk]
        till = None
        till_id = parse_int(request.GET.get("request", ""), min_value=1, max_value=MAX_ID)
        if till_id is not None:
            till = selectors.payment_request_of(pk=till_id, merchant_ids=ids)
        context.update(
            {
                "today": selectors.local_today(),
                "payments": selectors.payments_of(merchant_ids=ids, day=selectors.local_today())[
                    :100
                ],
                "vouchers": selectors.vouchers_of(merchant_ids=ids, day=selectors.local_today())[
                    :100
                ],
                "statements": selectors.statements_of(merchant_ids=ids)[:24],
                "till": till,
                "till_qr": qr_svg(request_url(till)).decode() if till else None,
                "counter_url": counter_url(merchant),
                "counter_qr": qr_svg(counter_url(merchant)).decode(),
                "form": AmountForm(),
            }
        )
    return render(request, "merchants/merchant_page.html", context)


@require_POST
def till_request(request):
    merchant = _merchant_or_none(request)
    if merchant is None:
        return redirect("merchant-page")
    form = AmountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type a whole number of points."))
        return redirect("merchant-page")
    created = services.payment_request_create(
        merchant=merchant,
        amount_points=form.cleaned_data["amount_points"],
        created_by=request.user,
    )
    return redirect(f"/merchant/?request={created.pk}")


@require_POST
def refund(request, pk):
    """A refund of payment `pk`, once per form (as `pay`)."""
    merchant = _merchant_or_none(request)
    if merchant is None:
        return redirect("merchant-page")
    return submit_once(request, lambda: _refund(request, pk, merchant), back="/merchant/")


def _refund(request, pk, merchant):
    form = AmountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type a whole number of points."))
        return redirect("merchant-page")
    try:
        made = services.payment_refund(
            payment_id=pk,
            merchant_ids=[merchant.pk],
            amount_points=form.cleaned_data["amount_points"],
            created_by=request.user,
        )
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(
            request,
            _("Refunded %(points)d points of payment #%(payment)d.")
            % {"points": made.amount_points, "payment": made.payment_id},
        )
    return redirect("merchant-page")


def statement_csv_page(request, pk):
    merchant = _merchant_or_none(request)
    if merchant is None:
        raise Http404
    statement = get_object_or_404(
        Statement.objects.select_related("merchant"), pk=pk, merchant=merchant
    )
    return statement_csv(statement)
