"""The one-time nonce of page and admin forms (core/form_nonces.py): refused when too
old, kept until the forms are past accepting, then purged by the hourly beat task."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from core import form_nonces
from core.models import FormSubmission
from core.tasks import idempotency_keys_purge
from merchants.models import Payment
from tests.forms import nonce_for, signed_in

pytestmark = pytest.mark.django_db


def test_it_refuses_a_nonce_past_its_time_to_live(resident, settings):
    settings.IDEMPOTENCY_KEY_TTL = timedelta(seconds=-1)
    client = signed_in(resident)
    page = client.post(
        "/pay/not-a-code", {"amount_points": "5", **nonce_for(resident)}, follow=True
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert not FormSubmission.objects.exists()
    assert not Payment.objects.exists()


def test_the_hourly_task_purges_spent_nonces_past_their_time_to_live(resident):
    stale = FormSubmission.objects.create(user=resident, key="stale", redirect_url="/")
    FormSubmission.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=3))
    FormSubmission.objects.create(user=resident, key="fresh", redirect_url="/")
    assert idempotency_keys_purge() == 1
    assert list(FormSubmission.objects.values_list("key", flat=True)) == ["fresh"]


def test_it_lists_no_messages_for_a_request_without_the_message_middleware():
    """mypy: get_messages() is a plain list without the middleware, which has no `used`."""
    request = RequestFactory().get("/")
    assert form_nonces._messages_so_far(request) == []
