"""`{% form_nonce %}`: the hidden one-time nonce of a form that acts once
(core/form_nonces.py); nothing for a visitor who is not signed in."""

from django import template
from django.utils.html import format_html

from core.form_nonces import FIELD
from core.form_nonces import form_nonce as new_nonce

register = template.Library()


@register.simple_tag(takes_context=True)
def form_nonce(context) -> str:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_nonce(request.user))
