"""The server-rendered pages of the stalls app: what a phone camera opens at /q/<token>."""

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.consent import PAGE_CONSENT_MESSAGE, consent_missing, consent_prompt
from core import codes
from core.errors import DomainError, Invalid
from core.form_nonces import submit_once
from core.forms import add_form_errors, error_message
from core.masking import mask_name
from core.throttling import ScopedThrottle

from . import selectors, services
from .api.serializers import StallPublicSerializer
from .codes import site_token, stall_token
from .models import GoodsCategory, Registration, Stall, StallAppeal, StallReport
from .pledge import PLEDGE_VERSION, REQUIREMENTS
from .terms import renewal_open, renewal_opens_on

ID_CONSENT = "id_number"  # accounts.models.Consent.Purpose.ID_NUMBER


class RegistrationForm(forms.Form):
    vendor_name = forms.CharField(label=gettext_lazy("Your name"), max_length=50)
    id_number = forms.CharField(label=gettext_lazy("ID-card number"), max_length=32)
    goods_category = forms.ChoiceField(label=gettext_lazy("Goods"), choices=())
    description = forms.CharField(
        label=gettext_lazy("What you sell"), max_length=500, required=False, widget=forms.Textarea
    )
    waitlist = forms.BooleanField(
        label=gettext_lazy("If the site is full, put me on the waiting list"), required=False
    )
    pledge = forms.BooleanField(
        label=gettext_lazy("I accept the vendor's pledge above"),
        error_messages={"required": gettext_lazy("Accept the pledge to register.")},
    )
    # The version shown: if the pledge changes before the vendor submits, 409
    # pledge_outdated asks them to read the new one.
    pledge_version = forms.CharField(widget=forms.HiddenInput, max_length=16)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(GoodsCategory.choices)
        self.fields["goods_category"].choices = [
            (code, labels.get(code, code)) for code in site.goods_categories
        ]
        self.fields["pledge_version"].initial = PLEDGE_VERSION


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("What is wrong"), choices=StallReport.Category.choices
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"), max_length=1000, required=False, widget=forms.Textarea
    )


def site_page(request, site, *, form=None):
    site = selectors.sites_public().get(pk=site.pk)
    mine = []
    if request.user.is_authenticated:
        mine = [
            {
                "registration": registration,
                "stall_url": f"/q/{stall_token(registration.stall)}"
                if hasattr(registration, "stall")
                else None,
            }
            for registration in Registration.objects.filter(vendor=request.user, site=site)
            .select_related("stall")
            .order_by("-pk")[:5]
        ]
    labels = dict(GoodsCategory.choices)
    stalls = [
        {
            "slot": stall.slot,
            "vendor_name": mask_name(stall.registration.vendor_name),
            "goods": labels.get(stall.registration.goods_category, ""),
            "url": f"/q/{stall_token(stall)}",
        }
        for stall in Stall.objects.filter(site=site, status=Stall.Status.ACTIVE)
        .select_related("registration")
        .order_by("slot")
    ]
    return render(
        request,
        "stalls/site_page.html",
        {
            "stalls": stalls,
            "site": site,
            "free_slots": selectors.free_slots(site),
            "windows": site.windows.all(),
            "goods": [labels.get(code, code) for code in site.goods_categories],
            "mine": mine,
            "form": form or RegistrationForm(site=site),
            "token": site_token(site),
            "pledge": REQUIREMENTS,
            # Registering gives an ID-card number: the notice and its own consent first.
            "consent": consent_prompt(user=request.user, purpose=ID_CONSENT),
        },
    )


@require_POST
def site_register(request, token):
    """The site page's registration form: the code is checked again (it may be rotated)."""
    try:
        site = codes.resolve_as(token, "site")
    except DomainError as error:
        return render(request, "core/code_error.html", {"error": error}, status=error.status)
    if not request.user.is_authenticated:
        return redirect(f"/q/{token}")
    return submit_once(request, lambda: _site_register(request, site), back=f"/q/{token}")


def _site_register(request, site):
    if consent_missing(user=request.user, purpose=ID_CONSENT):  # as the API's 409: no write
        messages.error(request, str(PAGE_CONSENT_MESSAGE))
        return redirect(f"/q/{site_token(site)}")
    form = RegistrationForm(request.POST, site=site)
    if not form.is_valid():
        return site_page(request, site, form=form)
    values = dict(form.cleaned_data)
    values.pop("pledge")  # required by the form: registering accepts it
    try:
        registration = services.registration_create(vendor=request.user, site=site, **values)
    except DomainError as error:
        add_form_errors(form, error)
        return site_page(request, site, form=form)
    if registration.status == Registration.Status.WAITING:
        messages.success(request, _("You are on the waiting list of this site."))
    else:
        messages.success(
            request, _("Your registration was filed with urban management. It is pending.")
        )
    return redirect(f"/q/{site_token(site)}")


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why (optional)"), max_length=500, required=False)
    confirm = forms.BooleanField(
        label=gettext_lazy("I give up this stall: its slot goes to the next vendor waiting"),
        error_messages={"required": gettext_lazy("Tick the box to give up the stall.")},
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the suspension is wrong"), max_length=1000, widget=forms.Textarea
    )


def _vendor_panel(request, stall) -> dict | None:
    """What the stall's own vendor sees on its page: expiry, renewal, photo, appeal."""
    if not request.user.is_authenticated or stall.registration.vendor_id != request.user.pk:
        return None
    ended = stall.status in Stall.ENDED_STATUSES
    return {
        "ended": ended,
        "expires_on": stall.expires_on,
        "renewal_open": not ended and renewal_open(stall.expires_on),
        "renewal_opens_on": renewal_opens_on(stall.expires_on),
        "photo_url": stall.photo.url if stall.photo else None,
        "suspended": stall.status == Stall.Status.SUSPENDED,
        "appeal": selectors.latest_appeal(stall=stall),
        "appeal_form": AppealForm(),
        "withdraw_form": WithdrawForm(),
    }


def stall_page(request, stall, *, form=None):
    stall = selectors.stalls_public().get(pk=stall.pk)
    return render(
        request,
        "stalls/stall_page.html",
        {
            "stall": stall,
            "public": StallPublicSerializer(stall).data,
            "goods": stall.registration.get_goods_category_display(),
            "windows": stall.site.windows.all(),
            "form": form or ReportForm(),
            "vendor": _vendor_panel(request, stall),
            "pending_appeal": StallAppeal.Status.PENDING,
            "consent": consent_prompt(user=request.user),  # the report collects data
        },
    )


def _vendor_write(request, pk, write, success):
    """A vendor's form on the stall page: the service decides (and refuses strangers);
    the outcome is a message on the page the form came from."""
    stall = get_object_or_404(Stall.objects.select_related("site", "registration"), pk=pk)
    back = f"/q/{stall_token(stall)}"
    if not request.user.is_authenticated:
        return redirect(back)
    return submit_once(request, lambda: _vendor_act(request, stall, write, success), back=back)


def _vendor_act(request, stall, write, success):
    back = f"/q/{stall_token(stall)}"
    try:
        write(stall)
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, success)
    return redirect(back)


@require_POST
def stall_renew(request, pk):
    return _vendor_write(
        request,
        pk,
        lambda stall: services.stall_renew(stall=stall, vendor=request.user),
        _("Renewed: your stall keeps its slot for another year."),
    )


@require_POST
def stall_withdraw(request, pk):
    form = WithdrawForm(request.POST)

    def write(stall):
        if not form.is_valid():
            raise Invalid(fields=form.errors)
        services.stall_withdraw(
            stall=stall, vendor=request.user, reason=form.cleaned_data["reason"]
        )

    return _vendor_write(request, pk, write, _("You gave up the stall."))


@require_POST
def stall_appeal(request, pk):
    form = AppealForm(request.POST)

    def write(stall):
        if not form.is_valid():
            raise Invalid(fields=form.errors)
        services.appeal_create(stall=stall, vendor=request.user, **form.cleaned_data)

    return _vendor_write(
        request, pk, write, _("Your appeal was filed. Another officer will decide it.")
    )


@require_POST
def stall_photo(request, pk):
    def write(stall):
        photo = request.FILES.get("photo")
        if photo is None:
            raise Invalid(fields={"photo": [_("Choose a photo.")]})
        # Each upload is decoded and resized: counted with the reports, as in the API.
        throttle = ScopedThrottle()
        if not throttle.allow_request(request, SimpleNamespace(throttle_scope="report")):
            raise Invalid(_("Too many requests. Try again later."))
        services.stall_photo_set(stall=stall, vendor=request.user, photo=photo)

    return _vendor_write(request, pk, write, _("Your photo is on the stall's page."))


@require_POST
def registration_withdraw(request, pk):
    """The site page's "withdraw" on a pending or waiting registration."""
    registration = get_object_or_404(Registration.objects.select_related("site"), pk=pk)
    back = f"/q/{site_token(registration.site)}"
    if not request.user.is_authenticated:
        return redirect(back)
    return submit_once(request, lambda: _registration_withdraw(request, registration), back=back)


def _registration_withdraw(request, registration):
    back = f"/q/{site_token(registration.site)}"
    try:
        services.registration_withdraw(registration=registration, vendor=request.user)
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, _("Your registration was withdrawn."))
    return redirect(back)


@require_POST
def stall_report(request, pk):
    stall = get_object_or_404(selectors.stalls_public(), pk=pk)
    if not request.user.is_authenticated:
        return redirect(f"/q/{stall_token(stall)}")
    if consent_missing(user=request.user):  # as the API's 409 consent_required: no write
        messages.error(request, str(PAGE_CONSENT_MESSAGE))
        return redirect(f"/q/{stall_token(stall)}")
    form = ReportForm(request.POST)
    if not form.is_valid():
        return stall_page(request, stall, form=form)
    throttle = ScopedThrottle()
    if not throttle.allow_request(request, SimpleNamespace(throttle_scope="report")):
        messages.error(request, _("Too many requests. Try again later."))
        return redirect(f"/q/{stall_token(stall)}")
    services.report_create(stall=stall, reporter=request.user, **form.cleaned_data)
    messages.success(request, _("Thank you. Urban management will look into it."))
    return redirect(f"/q/{stall_token(stall)}")
