"""The stalls admin: sites and posters, the registration queue, stalls, reports, inspections.

Urban officers see the sites of their own units only; district_admin sees everything.
Every decision goes through stalls.services, like the API.
"""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import uploads
from core.admin import ModelAdmin, PhotoPreviewMixin, ReadOnlyAdminMixin, TabularInline
from core.errors import DomainError, Invalid
from core.form_nonces import OncePerFormAdminMixin, once_per_form, replay_spent, submit_once
from core.forms import add_form_errors, error_message
from core.masking import mask_name, mask_phone

from . import permissions, selectors, services
from .cache import PUBLIC
from .codes import site_code_url
from .idcard import decrypt_id_number, masked_id_number
from .models import (
    GoodsCategory,
    Inspection,
    Registration,
    Site,
    Stall,
    StallAppeal,
    StallRenewal,
    StallReport,
    StallStatusChange,
    TradingWindow,
)
from .poster import site_poster_pdf


class UnitScopedAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Officers see the rows of their units' sites; they change them only through services."""

    unit_field = "site__unit_id"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        units = selectors.managed_unit_ids(user=request.user)
        if units is None:
            return queryset
        return queryset.filter(**{f"{self.unit_field}__in": units})

    def has_module_permission(self, request):
        return permissions.is_manager(user=request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_manager(user=request.user)


WEEKDAYS = [
    (1, gettext_lazy("Mon")),
    (2, gettext_lazy("Tue")),
    (3, gettext_lazy("Wed")),
    (4, gettext_lazy("Thu")),
    (5, gettext_lazy("Fri")),
    (6, gettext_lazy("Sat")),
    (7, gettext_lazy("Sun")),
]


class TradingWindowForm(forms.ModelForm):
    """Weekdays as check boxes instead of the stored bit mask."""

    days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[day for day, _label in WEEKDAYS],
    )

    class Meta:
        model = TradingWindow
        fields = ["start", "end", "days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["days"] = self.instance.days

    def save(self, commit=True):
        self.instance.days_mask = sum(1 << (day - 1) for day in self.cleaned_data["days"])
        return super().save(commit)


class SiteForm(forms.ModelForm):
    goods_categories = forms.MultipleChoiceField(
        label=gettext_lazy("goods categories allowed"),
        choices=GoodsCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "kind",
            "address",
            "latitude",
            "longitude",
            "capacity",
            "goods_categories",
            "unit",
        ]


class TradingWindowInline(TabularInline):
    model = TradingWindow
    form = TradingWindowForm
    extra = 0

    def has_add_permission(self, request, obj=None):
        return permissions.is_district_admin(user=request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_district_admin(user=request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_district_admin(user=request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_manager(user=request.user)


@admin.register(Site)
class SiteAdmin(UnitScopedAdmin):
    unit_field = "unit_id"
    list_display = ["name", "kind", "unit", "capacity", "free_slots_display", "poster_link"]
    list_filter = ["kind", "unit"]
    search_fields = ["name", "address"]
    inlines = [TradingWindowInline]
    form = SiteForm
    readonly_fields = ["code_version", "code_rotated_at", "code_rotated_by", "code_url"]
    actions = ["rotate_code"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("unit")
            .annotate(active_stalls=selectors.active_stalls_count())
        )

    def has_add_permission(self, request):
        return permissions.is_district_admin(user=request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_district_admin(user=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Capacity and hours are in the public site list and stall views.
        PUBLIC.changed()

    @admin.display(description=gettext_lazy("free slots"))
    def free_slots_display(self, site):
        return selectors.free_slots(site)

    @admin.display(description=gettext_lazy("code"))
    def code_url(self, site):
        return site_code_url(site) if site.pk else "-"

    @admin.display(description=gettext_lazy("poster"))
    def poster_link(self, site):
        url = reverse("admin:stalls_site_poster", args=[site.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("Print poster (PDF)"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/poster/",
                self.admin_site.admin_view(self.poster_view),
                name="stalls_site_poster",
            ),
            *super().get_urls(),
        ]

    def poster_view(self, request, pk):
        site = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(site_poster_pdf(site), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="site-{site.pk}-poster.pdf"'
        return response

    @admin.action(description=gettext_lazy("Rotate the code (old posters stop working)"))
    def rotate_code(self, request, queryset):
        for site in queryset:
            try:
                services.site_code_rotate(site=site, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{site}: {error_message(error)}", messages.ERROR)
                return
        self.message_user(request, _("New codes issued: print the posters again."))


class DecideForm(forms.Form):
    slot = forms.TypedChoiceField(label=gettext_lazy("Free slot"), coerce=int, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejection"), max_length=500, required=False
    )


@admin.register(Registration)
class RegistrationAdmin(PhotoPreviewMixin, UnitScopedAdmin):
    pending_label = gettext_lazy("Registrations pending")
    pending_filter = {"status": Registration.Status.PENDING}
    list_display = [
        "vendor_name",
        "site",
        "goods_category",
        "status",
        "created_at",
        "decide_link",
    ]
    list_filter = ["status", "site"]
    search_fields = ["vendor_name", "site__name"]
    list_select_related = ["site"]
    fields: ClassVar[tuple[str, ...]] = (
        "site",
        "vendor_name",
        "id_number_display",
        "vendor_phone",
        "goods_category",
        "description",
        "photo_preview",
        "status",
        "decided_by",
        "decided_at",
        "reject_reason",
        "created_at",
    )
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        # The queue: pending registrations first, unless the officer filtered otherwise.
        if not request.GET and request.method == "GET":
            return redirect(f"{request.path}?status__exact=pending")
        return super().changelist_view(request, extra_context)

    def get_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=gettext_lazy("photo"))
    def photo_preview(self, registration):
        return uploads.photo_preview(registration.photo)

    @admin.display(description=gettext_lazy("ID-card number"))
    def id_number_display(self, registration):
        # Whole only on the decide page, for officers of the site's unit.
        return masked_id_number(registration.id_number_encrypted)

    @admin.display(description=gettext_lazy("vendor phone"))
    def vendor_phone(self, registration):
        return mask_phone(registration.vendor.phone)

    @admin.display(description=gettext_lazy("decision"))
    def decide_link(self, registration):
        if registration.status not in Registration.OPEN_STATUSES:
            return "-"
        url = reverse("admin:stalls_registration_decide", args=[registration.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Approve or reject"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="stalls_registration_decide",
            ),
            *super().get_urls(),
        ]

    def _decide(self, request, registration, form):
        if "approve" in request.POST:
            if not form.cleaned_data["slot"]:
                raise Invalid(fields={"slot": [_("Pick a free slot.")]})
            stall = services.registration_approve(
                registration=registration,
                officer=request.user,
                slot=form.cleaned_data["slot"],
            )
            self.message_user(
                request,
                _("Approved: slot %(slot)s, license %(license)s.")
                % {"slot": stall.slot, "license": stall.license_no},
            )
        else:
            services.registration_reject(
                registration=registration,
                officer=request.user,
                reason=form.cleaned_data["reason"],
            )
            self.message_user(request, _("Rejected."))
        return redirect("admin:stalls_registration_changelist")

    def decide_view(self, request, pk):
        registration = get_object_or_404(
            self.get_queryset(request).select_related("site", "vendor"), pk=pk
        )
        if replayed := replay_spent(request):
            return replayed
        free = selectors.free_slot_numbers(site=registration.site)
        sees_whole = registration.site.unit_id in selectors.id_number_unit_ids(user=request.user)
        form = DecideForm(request.POST or None)
        form.fields["slot"].choices = [("", "---")] + [(slot, slot) for slot in free]
        if request.method == "POST" and form.is_valid():
            try:
                # Once per form: a second submit shows the first's outcome.
                return submit_once(
                    request,
                    lambda: self._decide(request, registration, form),
                    back=request.get_full_path(),
                )
            except DomainError as error:
                add_form_errors(form, error)
        elif request.method == "POST" and (replayed := replay_spent(request)):
            # A double tap's first committed while this one read the free slots: its slot
            # is taken now, which is the first's outcome, not this form's error.
            return replayed
        if sees_whole:
            services.registrations_revealed(
                officer=request.user,
                rows=[registration],
                officer_unit_ids={registration.site.unit_id},
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Decide the registration of %(name)s") % {"name": registration.vendor_name},
            "registration": registration,
            "id_number": decrypt_id_number(registration.id_number_encrypted)
            if sees_whole
            else masked_id_number(registration.id_number_encrypted),
            "vendor_phone": registration.vendor.phone
            if sees_whole
            else mask_phone(registration.vendor.phone),
            "free_slots": free,
            "form": form,
        }
        return TemplateResponse(request, "admin/stalls/registration/decide.html", context)


class StallActionForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason / note"), max_length=500, required=False)


class StatusChangeInline(TabularInline):
    model = StallStatusChange
    extra = 0
    fields: ClassVar[tuple[str, ...]] = (
        "created_at",
        "old_status",
        "new_status",
        "actor",
        "reason",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.is_manager(user=request.user)


class RenewalInline(TabularInline):
    model = StallRenewal
    fields: ClassVar[tuple[str, ...]] = (
        "old_expires_on",
        "new_expires_on",
        "renewed_by",
        "created_at",
    )
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.is_manager(user=request.user)


@admin.register(Stall)
class StallAdmin(PhotoPreviewMixin, OncePerFormAdminMixin, UnitScopedAdmin):
    list_display = ["license_no", "site", "slot", "vendor", "status", "expires_on", "created_at"]
    list_filter = ["status", "site"]
    search_fields = ["license_no", "registration__vendor_name"]
    list_select_related = ["site", "registration"]
    fields: ClassVar[tuple[str, ...]] = (
        "license_no",
        "site",
        "slot",
        "status",
        "registration",
        "expires_on",
        "photo_preview",
        "created_at",
    )
    readonly_fields = fields
    inlines = [StatusChangeInline, RenewalInline]

    @admin.display(description=gettext_lazy("vendor photo"))
    def photo_preview(self, stall):
        return uploads.photo_preview(stall.photo)

    action_form = StallActionForm
    actions = ["reinstate"]

    @admin.display(description=gettext_lazy("vendor"))
    def vendor(self, stall):
        return mask_name(stall.registration.vendor_name)

    def has_change_permission(self, request, obj=None):
        # Actions on the change list need it; the form itself stays read-only.
        return permissions.is_manager(user=request.user)

    @admin.action(description=gettext_lazy("Reinstate the selected suspended stalls"))
    @once_per_form
    def reinstate(self, request, queryset):
        reason = request.POST.get("reason", "")
        for stall in queryset:
            try:
                services.stall_reinstate(stall=stall, officer=request.user, reason=reason)
            except DomainError as error:
                self.message_user(request, f"{stall}: {error_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(stall)s reinstated.") % {"stall": stall})


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["stall", "result", "notes"]


@admin.register(Inspection)
class InspectionAdmin(OncePerFormAdminMixin, UnitScopedAdmin):
    unit_field = "stall__site__unit_id"
    list_display = ["stall", "result", "officer", "inspected_at"]
    list_filter = ["result"]
    list_select_related = ["stall", "officer"]
    form = InspectionForm

    def has_add_permission(self, request):
        return permissions.is_manager(user=request.user)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        units = selectors.managed_unit_ids(user=request.user)
        stalls = Stall.objects.select_related("site")
        if units is not None:
            stalls = stalls.filter(site__unit_id__in=units)
        if "stall" in form.base_fields:
            form.base_fields["stall"].queryset = stalls
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            inspection = services.inspection_record(
                stall=obj.stall, officer=request.user, result=obj.result, notes=obj.notes
            )
        except DomainError as error:
            self.message_user(request, error_message(error), messages.ERROR)
            return
        obj.pk = inspection.pk
        obj.officer = inspection.officer
        obj.inspected_at = inspection.inspected_at


class ReportActionForm(ActionForm):
    resolution = forms.CharField(
        label=gettext_lazy("Outcome note"), max_length=1000, required=False
    )


@admin.register(StallReport)
class StallReportAdmin(PhotoPreviewMixin, OncePerFormAdminMixin, UnitScopedAdmin):
    unit_field = "stall__site__unit_id"
    pending_label = gettext_lazy("Reports open")
    pending_filter = {"status": StallReport.Status.OPEN}
    list_display = ["stall", "category", "comment", "status", "created_at", "resolution"]
    list_filter = ["status", "category"]
    list_select_related = ["stall"]
    fields: ClassVar[tuple[str, ...]] = (
        "stall",
        "category",
        "comment",
        "photo_preview",
        "status",
        "resolution",
        "closed_at",
    )
    readonly_fields = fields
    action_form = ReportActionForm
    actions = ["close_reports"]

    @admin.display(description=gettext_lazy("photo"))
    def photo_preview(self, report):
        return uploads.photo_preview(report.photo)

    def has_change_permission(self, request, obj=None):
        return permissions.is_manager(user=request.user)

    @admin.action(description=gettext_lazy("Close the selected reports with the outcome note"))
    @once_per_form
    def close_reports(self, request, queryset):
        resolution = request.POST.get("resolution", "")
        for report in queryset.select_related("stall__site"):
            try:
                services.report_close(report=report, officer=request.user, resolution=resolution)
            except DomainError as error:
                self.message_user(request, f"{report}: {error_message(error)}", messages.ERROR)


class AppealActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the decision"), max_length=1000, required=False
    )


@admin.register(StallAppeal)
class StallAppealAdmin(OncePerFormAdminMixin, UnitScopedAdmin):
    """The appeals queue: decided through stalls.services.appeal_decide, which refuses an
    officer who recorded a violation behind the suspension."""

    unit_field = "stall__site__unit_id"
    pending_label = gettext_lazy("Suspension appeals pending")
    pending_filter = {"status": StallAppeal.Status.PENDING}
    list_display = ["stall", "vendor_name", "reason", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["stall", "stall__registration", "decided_by"]
    fields: ClassVar[tuple[str, ...]] = (
        "stall",
        "reason",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
    )
    readonly_fields = fields
    action_form = AppealActionForm
    actions = ["uphold", "dismiss"]

    @admin.display(description=gettext_lazy("vendor"))
    def vendor_name(self, appeal):
        return mask_name(appeal.stall.registration.vendor_name)

    def has_change_permission(self, request, obj=None):
        # Actions on the change list need it; the form itself stays read-only.
        return permissions.is_manager(user=request.user)

    def _decide(self, request, queryset, *, upheld):
        reason = request.POST.get("reason", "")
        for appeal in queryset.select_related("stall__site"):
            try:
                services.appeal_decide(
                    appeal=appeal, officer=request.user, upheld=upheld, reason=reason
                )
            except DomainError as error:
                self.message_user(request, f"{appeal}: {error_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(appeal)s decided.") % {"appeal": appeal})

    @admin.action(description=gettext_lazy("Uphold the selected appeals (reinstate the stalls)"))
    @once_per_form
    def uphold(self, request, queryset):
        self._decide(request, queryset, upheld=True)

    @admin.action(description=gettext_lazy("Dismiss the selected appeals"))
    @once_per_form
    def dismiss(self, request, queryset):
        self._decide(request, queryset, upheld=False)
