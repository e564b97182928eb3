"""Services that must be the outermost transaction say so (`atomic(durable=True)`): called
inside another transaction they raise instead of committing when the caller does.

These tests run with transaction=True: pytest-django's plain django_db wraps each test in
TestCase atomics, which Django exempts from durability, so only a real outer atomic shows
it. Page forms and Idempotency-Key writes nest their services in the wrapper's durable
transaction (core.form_nonces.submit_once, core.idempotency.idempotent)."""

import datetime as dt

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import transaction
from django.http import HttpResponseRedirect
from django.test import RequestFactory
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.services import otp_sms_expire
from cadres.services import reviews_mark_overdue
from core.form_nonces import FIELD, form_nonce, submit_once
from core.idempotency import HEADER, idempotent
from merchants.services import statement_build
from points.models import Merchant
from points.services import redemption_expire
from rankings.services import ranking_month_correct

pytestmark = pytest.mark.django_db(transaction=True)

OUTERMOST = {
    "ranking_month_correct": lambda: ranking_month_correct(month=dt.date(2026, 1, 1)),
    "statement_build": lambda: statement_build(merchant=Merchant(), month=dt.date(2026, 1, 1)),
    "redemption_expire": lambda: redemption_expire(redemption_id=0),
    "reviews_mark_overdue": lambda: reviews_mark_overdue(),
    "otp_sms_expire": lambda: otp_sms_expire(now=dt.datetime.now(dt.UTC)),
}


@pytest.mark.parametrize("name", OUTERMOST)
def test_a_service_that_must_be_outermost_refuses_to_run_inside_a_transaction(name):
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        OUTERMOST[name]()


def test_it_runs_when_it_is_the_outermost_transaction():
    assert reviews_mark_overdue() == 0
    assert redemption_expire(redemption_id=0) is False


def _page_post(user):
    request = RequestFactory().post("/form", {FIELD: form_nonce(user)})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_page_form_is_the_outermost_transaction(make_user):
    user = make_user()
    request = _page_post(user)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        submit_once(request, lambda: HttpResponseRedirect("/done"), back="/form")
    # Outside any transaction it acts (and the act's own atomic nests in it).
    response = submit_once(_page_post(user), lambda: HttpResponseRedirect("/done"), back="/form")
    assert response.url == "/done"


class _Write(APIView):
    @idempotent
    def post(self, request):
        return Response({"ok": True}, status=201)


def _api_post(user, key):
    raw = APIRequestFactory().post("/write", {}, format="json", headers={HEADER: key})
    force_authenticate(raw, user=user)
    view = _Write()
    return view, view.initialize_request(raw)


def test_an_idempotency_key_write_is_the_outermost_transaction(make_user):
    user = make_user()
    view, request = _api_post(user, "k1")
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        view.post(request)
    view, request = _api_post(user, "k2")
    assert view.post(request).status_code == 201
