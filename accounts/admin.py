from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin

from . import services
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
    list_display = ["phone", "display_name", "is_staff", "is_active", "date_joined"]
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
class OtpCodeAdmin(ModelAdmin):
    list_display = [
        "phone",
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
