from django.urls import path

from . import views

urlpatterns = [
    path("products", views.ProductListView.as_view(), name="live-products"),
    path("sessions", views.SessionListView.as_view(), name="live-sessions"),
    path("sessions/<id:pk>", views.SessionDetailView.as_view(), name="live-session"),
    path("sessions/<id:pk>/outcome", views.SessionOutcomeView.as_view(), name="live-outcome"),
    path(
        "sessions/<id:pk>/evidence",
        views.SessionEvidenceView.as_view(),
        name="live-session-evidence",
    ),
    path("incomes", views.IncomeCreateView.as_view(), name="live-incomes"),
    path("transfers", views.TransferCreateView.as_view(), name="live-transfers"),
    path("transfers/<id:pk>/confirm", views.TransferConfirmView.as_view(), name="live-confirm"),
    path("transfers/<id:pk>/reject", views.TransferRejectView.as_view(), name="live-reject"),
    path(
        "transfers/<id:pk>/evidence",
        views.TransferEvidenceView.as_view(),
        name="live-transfer-evidence",
    ),
    path("compliance", views.ComplianceView.as_view(), name="live-compliance"),
    path("summary", views.SummaryView.as_view(), name="live-summary"),
]
