from django.urls import path

from . import pages

urlpatterns = [
    path("stalls/register/<str:token>", pages.site_register, name="stalls-page-register"),
    path("stalls/<id:pk>/report", pages.stall_report, name="stalls-page-report"),
]
