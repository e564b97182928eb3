from django.urls import path

from . import views

urlpatterns = [
    path("sessions", views.DeskSessionListView.as_view(), name="desk-sessions"),
    path("sessions/<id:pk>", views.DeskSessionDetailView.as_view(), name="desk-session"),
    path(
        "sessions/<id:pk>/confirm",
        views.DeskSessionConfirmView.as_view(),
        name="desk-session-confirm",
    ),
    path("sessions/<id:pk>/close", views.DeskSessionCloseView.as_view(), name="desk-session-close"),
    path("sessions/<id:pk>/reviews", views.AssistedReviewView.as_view(), name="desk-reviews"),
    path(
        "sessions/<id:pk>/moral-claims",
        views.AssistedMoralClaimView.as_view(),
        name="desk-moral-claims",
    ),
    path(
        "sessions/<id:pk>/stall-registrations",
        views.AssistedRegistrationView.as_view(),
        name="desk-stall-registrations",
    ),
]
