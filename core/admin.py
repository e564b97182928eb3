"""The admin site of the district: its name, and the count of pending work on its index.

Each app says which of its admin lists is a work queue: its ModelAdmin sets
`pending_label` and `pending_filter` (the queryset filter of the pending rows), and
`pending_query` when the list's query string differs (e.g. stalls.admin.RegistrationAdmin). The index counts the rows of each
queue the signed-in user may see (the ModelAdmin's own queryset, so its unit scope
applies) and links to the filtered list.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _


class DuoduoAdminSite(admin.AdminSite):
    site_header = _("Duoduo · Kangbashi District administration")
    site_title = _("Duoduo · Kangbashi District administration")
    index_template = "core/admin_index.html"

    def pending_queues(self, request) -> list[dict]:
        queues = []
        for model, model_admin in self._registry.items():
            pending = getattr(model_admin, "pending_filter", None)
            if pending is None or not model_admin.has_view_permission(request):
                continue
            meta = model._meta
            queues.append(
                {
                    "label": model_admin.pending_label,
                    "count": model_admin.get_queryset(request).filter(**pending).count(),
                    "url": reverse(f"{self.name}:{meta.app_label}_{meta.model_name}_changelist")
                    + "?"
                    + urlencode(getattr(model_admin, "pending_query", None) or pending),
                }
            )
        return sorted(queues, key=lambda queue: str(queue["label"]))

    def index(self, request, extra_context=None):
        context = {"pending_queues": self.pending_queues(request), **(extra_context or {})}
        return super().index(request, extra_context=context)


class DuoduoAdminConfig(AdminConfig):
    default_site = "core.admin.DuoduoAdminSite"


class ReadOnlyAdminMixin:
    """Rows written only by the services: visible in the admin, never added, edited or
    deleted there (e.g. points.admin.EntryAdmin)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
