from django.urls import path

from . import pages

urlpatterns = [
    path("stalls/register/<str:token>", pages.site_register, name="stalls-page-register"),
    path("stalls/<id:pk>/report", pages.stall_report, name="stalls-page-report"),
    path("stalls/<id:pk>/renew", pages.stall_renew, name="stalls-page-renew"),
    path("stalls/<id:pk>/withdraw", pages.stall_withdraw, name="stalls-page-withdraw"),
    path("stalls/<id:pk>/appeal", pages.stall_appeal, name="stalls-page-appeal"),
    path("stalls/<id:pk>/photo", pages.stall_photo, name="stalls-page-photo"),
    path(
        "stalls/registrations/<id:pk>/withdraw",
        pages.registration_withdraw,
        name="stalls-page-registration-withdraw",
    ),
]
