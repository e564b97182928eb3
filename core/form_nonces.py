"""One act per form: a page or admin form that moves points or decides something
carries a one-time nonce, spent in the same database transaction as its act.

- `form_nonce(user)` (the template tag `{% form_nonce %}` of `form_nonces`) issues
  it: a random key signed with the user's id and the time. A forged nonce, another
  user's, or one older than IDEMPOTENCY_KEY_TTL is refused; nothing is stored before
  the submit, so any number of forms may be open at once.
- `submit_once(request, act, back=)` runs the view's `act()` in one transaction whose
  first statement inserts the (user, key) row. A second submit of the same form (a
  double tap) waits on that UNIQUE key until the first commits, fails to insert, and
  replays the first's outcome, its messages and its redirect, doing nothing itself.
  A missing or refused nonce does nothing and says so, back at `back`. A view that
  validates its form against the current state first calls `replay_spent(request)`
  before validating, so a late second tap replays too.
- `once_per_form` does the same for an admin action; `OncePerFormAdminMixin` puts the
  nonce into the changelist's action form and the add form, and adds once.

Only an act that ends in a redirect is recorded. One that shows its form again (its
errors) did nothing: its transaction is rolled back and the nonce stays unspent.
Records are purged with the Idempotency-Keys (`core.tasks`), once their nonces are too
old to be accepted anyway.
"""

import functools
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.messages.storage.base import BaseStorage
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FormSubmission

FIELD = "form_nonce"
_SALT = "core.form_nonces"
# A signed nonce is about 70 characters; anything much longer is not one.
_MAX_LENGTH = 200


def form_nonce(user) -> str:
    """A new nonce for one form shown to the signed-in `user`."""
    key = secrets.token_urlsafe(16)
    return signing.TimestampSigner(salt=_SALT).sign(f"{user.pk}:{key}")


def _key(request) -> str | None:
    """The key of the request's nonce when it is this user's and recent, else None."""
    value = request.POST.get(FIELD, "")
    if not value or len(value) > _MAX_LENGTH or not request.user.is_authenticated:
        return None
    try:
        signed = signing.TimestampSigner(salt=_SALT).unsign(
            value, max_age=settings.IDEMPOTENCY_KEY_TTL
        )
    except signing.BadSignature:
        return None
    user_id, _sep, key = signed.partition(":")
    return key if user_id == str(request.user.pk) and key else None


def _messages_so_far(request) -> list:
    """The request's flash messages, left in place (listing them would mark them read)."""
    storage = messages.get_messages(request)
    if not isinstance(storage, BaseStorage):  # no message middleware: a plain list
        return list(storage)
    used = storage.used
    found = list(storage)
    storage.used = used
    return found


class _NotRecorded(Exception):
    """The act answered without a redirect: it did nothing to keep."""

    def __init__(self, response):
        self.response = response


def _replay(request, submission: FormSubmission) -> HttpResponseRedirect:
    for level, text in submission.messages:
        messages.add_message(request, level, text)
    return HttpResponseRedirect(submission.redirect_url)


def replay_spent(request) -> HttpResponseRedirect | None:
    """The first submit's outcome when this POST's nonce was already spent, else None.

    A view that validates its form against the state before acting (a slot still free,
    a claim still pending) calls it first: a late second tap would otherwise see the
    state the first tap made as a form error instead of the first's outcome."""
    key = _key(request) if request.method == "POST" else None
    if key is None:
        return None
    submission = FormSubmission.objects.filter(user=request.user, key=key).first()
    return None if submission is None else _replay(request, submission)


def submit_once(request, act: Callable, *, back: str):
    """Run `act()` (which adds its messages and returns a redirect, or None for "back to
    `back`") at most once per nonce; see the module's docstring."""
    key = _key(request)
    if key is None:
        messages.error(
            request,
            _("This form is out of date or incomplete. Nothing was done: open the page again."),
        )
        return HttpResponseRedirect(back)
    try:
        # The outermost transaction (durable): the act's services nest in it, so the
        # nonce is spent exactly when the act commits.
        with transaction.atomic(durable=True):
            submission = FormSubmission.objects.create(user=request.user, key=key)
            before = len(_messages_so_far(request))
            response = act()
            if response is not None and not isinstance(response, HttpResponseRedirect):
                raise _NotRecorded(response)
            submission.redirect_url = back if response is None else response.url
            submission.messages = [
                [message.level, str(message.message)]
                for message in _messages_so_far(request)[before:]
            ]
            submission.save(update_fields=["redirect_url", "messages"])
    except _NotRecorded as answered:
        return answered.response
    except IntegrityError:
        spent = FormSubmission.objects.filter(user=request.user, key=key).first()
        if spent is None:
            raise  # not the nonce's constraint: the act's own error
        return _replay(request, spent)
    return response if response is not None else HttpResponseRedirect(back)


def once_per_form(action):
    """An admin action (`def action(self, request, queryset)`) run at most once per
    submitted changelist form; a second submit replays the first's messages."""

    @functools.wraps(action)
    def run(model_admin, request, queryset):
        return submit_once(
            request,
            lambda: action(model_admin, request, queryset),
            back=request.get_full_path(),
        )

    return run


def form_submissions_purge(*, older_than=None) -> int:
    """Delete spent nonces whose forms are past accepting anyway; returns how many went."""
    cutoff = timezone.now() - (older_than or settings.IDEMPOTENCY_KEY_TTL)
    deleted, _counts = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class OncePerFormAdminMixin(admin.ModelAdmin):
    """A ModelAdmin whose forms act once per submit: its add form (e.g.
    points.admin.CampaignAdmin, which funds a pool), and its changelist's actions
    decorated with `once_per_form` (e.g. merchants.admin.StatementAdmin). Both forms
    carry the nonce."""

    change_list_template = "core/admin_change_list.html"
    change_form_template = "core/admin_change_form.html"

    def changelist_view(self, request, extra_context=None):
        # A late second submit of an action: the rows it chose may have left the list
        # (decided), so replay the first's outcome before the admin filters them.
        if replayed := replay_spent(request):
            return replayed
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        add = super().add_view
        if request.method != "POST" or IS_POPUP_VAR in request.GET or IS_POPUP_VAR in request.POST:
            # A popup answers with a page, not a redirect: it cannot be replayed.
            return add(request, form_url, extra_context)
        return submit_once(
            request, lambda: add(request, form_url, extra_context), back=request.get_full_path()
        )
