from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin, ReadOnlyAdminMixin
from core.masking import mask_phone
from core.models import AuditEvent

from . import services
from .admin_audit import PersonalDataViewAuditMixin
from .forms import UserCreationForm, UserEditForm
from .models import OtpCode, User, WechatBinding


class WechatBindingInline(admin.TabularInline):
    """The user's WeChat accounts, to read: the resident unbinds (DELETE /me/wechat)."""

    model = WechatBinding
    extra = 0
    fields = ("openid", "unionid", "created_at")
    readonly_fields = ("openid", "unionid", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [WechatBindingInline]
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["-date_joined"]
    # The phone masked here; in full only on the person's page, whose opening is audited.
    list_display = ["masked_phone", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["phone", "display_name"]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        (_("Personal info"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["phone", "display_name", "password1", "password2"]},
        ),
    ]

    @admin.display(description=_("phone number"), ordering="phone")
    def masked_phone(self, user):
        return mask_phone(user.phone)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Opening a person's page shows their phone in full: the audit trail says who.
        if request.method == "GET" and object_id:
            services.user_audited(actor=request.user, user_id=object_id, action="user.view")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.user_audited(
            actor=request.user,
            user_id=form.instance.pk,
            action="user.change" if change else "user.create",
            fields=sorted(form.changed_data),
        )


@admin.register(OtpCode)
class OtpCodeAdmin(PersonalDataViewAuditMixin, ModelAdmin):
    # The phone masked in the list; the code's page shows it in full, and its opening is an
    # audit event about the person with that phone (if they have an account).
    audit_view_action = "otp_code.view"
    list_display = [
        "masked_phone",
        "purpose",
        "state",
        "sms_status",
        "sms_provider",
        "sms_provider_code",
        "sms_receipt_at",
        "attempts",
        "created_at",
        "expires_at",
    ]
    list_filter = ["state", "sms_status", "sms_provider"]
    search_fields = ["phone", "sms_message_id"]
    readonly_fields = [
        "phone",
        "code_hash",
        "state",
        "sms_status",
        "sms_provider",
        "sms_message_id",
        "sms_provider_code",
        "sms_receipt_at",
        "attempts",
        "created_at",
        "expires_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("phone number"), ordering="phone")
    def masked_phone(self, otp):
        return mask_phone(otp.phone)

    def audit_subject(self, otp):
        return User.objects.filter(phone=otp.phone).values_list("pk", flat=True).first()


# --- The audit trail (core.AuditEvent, docs/audit.md): read-only for everyone, for
# auditors and district administrators (registrations.py), filtered by actor, object,
# action and date.

AUDIT_FIELDS: list[str] = [
    "created_at",
    "action",
    "object_type",
    "object_id",
    "actor_id",
    "actor_role",
    "actor_unit",
    "subject_id",
    "summary",
    "purpose",
    "request_id",
    "address_hash",
]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    # Ids of the people, not their names or phones: the subject is a resident.
    list_display = [
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_id",
        "actor_role",
        "actor_unit",
        "subject_id",
        "purpose",
        "request_id",
    ]
    list_filter = [
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
        "object_type",
        "actor_role",
        "created_at",
    ]
    # "=42" finds object 42 (or request 42); filter ?actor=ID, ?subject=ID, ?object_id=ID.
    search_fields = ["=object_id", "=request_id"]
    search_help_text = _("An object's id or a request id, exactly.")
    date_hierarchy = "created_at"
    show_full_result_count = False
    # Ids, never the people's names or phones (a user's name is their phone or name).
    fields = tuple(AUDIT_FIELDS)
    readonly_fields = AUDIT_FIELDS

    def lookup_allowed(self, lookup, value, request=None):
        # The trail of one actor, one resident or one object, linked from elsewhere.
        if lookup in {"actor", "subject", "object_id", "object_type"}:
            return True
        return super().lookup_allowed(lookup, value, request)
