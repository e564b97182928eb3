from django.urls import path

from . import pages

urlpatterns = [
    path("desk/", pages.desk_home, name="desk-page"),
    path("desk/sessions", pages.session_start, name="desk-page-start"),
    path("desk/sessions/<id:pk>/", pages.session_page, name="desk-page-session"),
    path("desk/sessions/<id:pk>/confirm", pages.session_confirm, name="desk-page-confirm"),
    path("desk/sessions/<id:pk>/close", pages.session_close, name="desk-page-close"),
    path("desk/sessions/<id:pk>/review", pages.review_submit, name="desk-page-review"),
    path("desk/sessions/<id:pk>/moral-claim", pages.moral_claim_submit, name="desk-page-claim"),
    path(
        "desk/sessions/<id:pk>/stall-registration",
        pages.registration_submit,
        name="desk-page-registration",
    ),
]
