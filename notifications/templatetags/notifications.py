"""`{% unread_notifications as count %}`: the signed-in user's unread count, for the
/q/ pages' header (notifications/inbox_link.html)."""

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = context["request"].user
    return unread_count(user=user) if user.is_authenticated else 0
