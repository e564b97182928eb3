"""The admin site of the district: its name, and the count of pending work on its index.

Each app says which of its admin lists is a work queue: its ModelAdmin (this module's) sets
`pending_label` and `pending_filter` (the queryset filter of the pending rows), and
`pending_query` when the list's query string differs (e.g. stalls.admin.RegistrationAdmin). The index counts the rows of each
queue the signed-in user may see (the ModelAdmin's own queryset, so its unit scope
applies) and links to the filtered list.
"""

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .formfields import StrictIntegerField


def pending_queues(site: admin.AdminSite, request) -> list[dict]:
    """The work queues of `site` that `request.user` may see: label, count and link."""
    queues = []
    for model, model_admin in site._registry.items():
        if (
            not isinstance(model_admin, ModelAdmin)
            or model_admin.pending_filter is None
            or not model_admin.has_view_permission(request)
        ):
            continue
        pending = model_admin.pending_filter
        meta = model._meta
        queues.append(
            {
                "label": model_admin.pending_label,
                "count": model_admin.pending_count(
                    model_admin.get_queryset(request).filter(**pending)
                ),
                "url": reverse(f"{site.name}:{meta.app_label}_{meta.model_name}_changelist")
                + "?"
                + urlencode(model_admin.pending_query or pending),
            }
        )
    return sorted(queues, key=lambda queue: str(queue["label"]))


class DuoduoAdminSite(admin.AdminSite):
    site_header = _("Duoduo · Kangbashi District administration")
    site_title = _("Duoduo · Kangbashi District administration")
    index_template = "core/admin_index.html"

    def index(self, request, extra_context=None):
        context = {"pending_queues": pending_queues(self, request), **(extra_context or {})}
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


# Integer columns edited in the admin read ASCII digits only, as everywhere else
# (core.integers). BigIntegerField is named too: the admin's own defaults give it a widget
# of its own, which would otherwise be found first.
STRICT_INTEGER_FORMFIELDS: dict[type[models.Field], dict[str, Any]] = {
    models.IntegerField: {"form_class": StrictIntegerField},
    models.BigIntegerField: {"form_class": StrictIntegerField},
}


class ModelAdmin(admin.ModelAdmin):
    """The project's ModelAdmin: every admin list of the project is one (or an inline below)."""

    formfield_overrides = STRICT_INTEGER_FORMFIELDS
    # A work queue (pending_queues): its name, the filter of its pending rows, and the
    # list's query string when it differs from the filter.
    pending_label: ClassVar[str | Promise] = ""
    pending_filter: ClassVar[dict[str, Any] | None] = None
    pending_query: ClassVar[dict[str, Any] | None] = None

    def pending_count(self, pending: models.QuerySet) -> int:
        """What the index counts of the pending rows: the rows, unless a queue counts
        something else (moderation.admin.ReviewFlagAdmin: the reviews flagged)."""
        return pending.count()


class TabularInline(admin.TabularInline):
    formfield_overrides = STRICT_INTEGER_FORMFIELDS


class PhotoPreviewMixin:
    """A ModelAdmin that shows a photo with core.uploads.photo_preview: the preview's size
    comes from core/admin.css, not an inline style (the Content-Security-Policy allows
    none)."""

    class Media:
        css = {"all": ["core/admin.css"]}
