from django.urls import path

from . import pages

urlpatterns = [
    path("cadres/<id:pk>/review", pages.review_submit, name="cadre-review-submit"),
    path("cadre/ticket", pages.ticket_window, name="cadre-ticket-window"),
]
