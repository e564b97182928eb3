"""/notifications: the signed-in person's latest notifications, and "mark all read"."""

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control

from . import selectors, services
from .links import page_link

PAGE_SIZE = 50


def notifications_page(request):
    if request.method == "POST" and request.user.is_authenticated:
        services.notifications_mark_read(user=request.user, everything=True)
        return redirect("notifications-page")
    context = {}
    if request.user.is_authenticated:
        context = {
            "notifications": [
                (notification, page_link(notification.link))
                for notification in selectors.inbox(user=request.user).order_by("-pk")[:PAGE_SIZE]
            ],
            "unread": selectors.unread_count(user=request.user),
        }
    response = TemplateResponse(request, "notifications/page.html", context)
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response
