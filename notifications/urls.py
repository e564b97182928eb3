from django.urls import path

from . import pages

urlpatterns = [
    path("notifications", pages.notifications_page, name="notifications-page"),
]
