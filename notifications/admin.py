"""The admin: every notification and its SMS (failed ones can be sent again), and the
district administrator's broadcast of a notice, with a preview and a count first."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ModelAdmin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.form_nonces import replay_spent, submit_once
from core.forms import add_form_errors

from . import delivery, kinds, services
from .models import Broadcast, Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = [
        "id",
        "kind",
        "user",
        "created_at",
        "read_at",
        "sms_status",
        "sms_provider",
        "sms_provider_code",
        "sms_receipt_at",
        "sms_attempts",
    ]
    list_filter = ["sms_status", "sms_provider", "kind"]
    search_fields = ["event_key", "user__phone", "sms_message_id"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    show_full_result_count = False
    # The admin index counts them: SMS whose sender stopped mid-way (never sent again by
    # themselves; "send again" below does it, for those staff decide on).
    pending_label = gettext_lazy("SMS of unknown outcome")
    pending_filter = {"sms_status": Notification.Sms.UNKNOWN}

    @admin.action(description=gettext_lazy("Send the failed, unknown or undelivered SMS again"))
    def send_again(self, request, queryset):
        count = services.sms_retry(notification_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)d SMS queued again.") % {"count": count})


class BroadcastForm(forms.Form):
    audience = forms.ChoiceField(label=gettext_lazy("audience"))
    title = forms.CharField(label=gettext_lazy("title"), max_length=60)
    body = forms.CharField(label=gettext_lazy("text"), max_length=500, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = delivery.audience_choices()


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["key", "kind", "audience", "created_by", "created_at", "status", "recipients"]
    list_filter = ["status", "kind"]
    actions = ["run_again"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("notifications.add_broadcast")

    def get_urls(self):
        return [
            path(
                "new/",
                self.admin_site.admin_view(self.new_view),
                name="notifications_broadcast_new",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:notifications_broadcast_new")

    def _broadcast(self, request, data, params, count):
        key = f"notice:{timezone.now():%Y%m%d%H%M%S}-{get_random_string(6)}"
        services.broadcast_create(
            key=key,
            kind=kinds.NOTICE.name,
            audience=data["audience"],
            params=params,
            # The notice is whole in its text: a tap opens the notifications page it is on.
            link="/notifications",
            created_by=request.user,
        )
        self.message_user(
            request,
            _("The notice is being sent to %(count)d people.") % {"count": count},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:notifications_broadcast_changelist"))

    def new_view(self, request):
        """A notice to all residents or to the vendors of one site: first the preview
        and the count, then (confirmed) queued for a worker that writes it in batches."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if replayed := replay_spent(request):
            return replayed
        form = BroadcastForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            params = {"title": data["title"], "body": data["body"]}
            try:
                count = services.broadcast_preview(audience=data["audience"])
                if request.POST.get("confirm") == "1":
                    # Once per form: a second submit shows the first's outcome.
                    return submit_once(
                        request,
                        lambda: self._broadcast(request, data, params, count),
                        back=request.get_full_path(),
                    )
                title, body = kinds.NOTICE.render(params)
                preview = {"title": title, "body": body, "count": count}
            except DomainError as error:
                add_form_errors(form, error)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Broadcast a notice"),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/notifications/broadcast_new.html", context)

    @admin.action(description=gettext_lazy("Run again (writes only the missing rows)"))
    def run_again(self, request, queryset):
        for broadcast in queryset:
            services.broadcast_queue(broadcast_id=broadcast.pk)
        self.message_user(request, _("Queued again."))
