"""The admin's audited reading of personal data (docs/audit.md). Apart from core/admin.py,
which the admin's AppConfig imports before the models are loaded."""

from typing import ClassVar

from django.contrib.admin.utils import unquote

from core import audit


class PersonalDataViewAuditMixin:
    """A change page that shows a person's phone (or other personal data) in full: each
    opening (a GET) is an audit event `audit_view_action`, with the person as its
    subject (`audit_subject`), so the resident sees it in GET /api/v1/me/data-access.
    The lists show phones masked (core.masking)."""

    audit_view_action: ClassVar[str] = ""

    def audit_subject(self, obj):
        """The user whose data the page shows (a user, an id, or None: nobody known)."""
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                audit.record(
                    request.user,
                    self.audit_view_action,
                    obj,
                    subject=self.audit_subject(obj),
                    purpose="administration",
                    request=request,
                )
        return super().change_view(request, object_id, form_url, extra_context)
