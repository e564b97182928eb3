"""The server-rendered pages of the stalls app: what a phone camera opens at /q/<token>."""

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import codes
from core.errors import DomainError
from core.forms import add_form_errors
from core.masking import mask_name
from core.throttling import ScopedThrottle

from . import selectors, services
from .api.serializers import StallPublicSerializer
from .codes import site_token, stall_token
from .models import GoodsCategory, Registration, Stall, StallReport


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

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(GoodsCategory.choices)
        self.fields["goods_category"].choices = [
            (code, labels.get(code, code)) for code in site.goods_categories
        ]


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
        mine = list(
            Registration.objects.filter(vendor=request.user, site=site)
            .select_related("stall")
            .order_by("-pk")[:5]
        )
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
    form = RegistrationForm(request.POST, site=site)
    if not form.is_valid():
        return site_page(request, site, form=form)
    try:
        registration = services.registration_create(
            vendor=request.user, site=site, **form.cleaned_data
        )
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
        },
    )


@require_POST
def stall_report(request, pk):
    stall = get_object_or_404(selectors.stalls_public(), pk=pk)
    if not request.user.is_authenticated:
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
