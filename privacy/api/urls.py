from django.urls import path

from . import views

urlpatterns = [
    path("me/code", views.FreshCodeView.as_view(), name="me-code"),
    path("me/export", views.ExportView.as_view(), name="me-export"),
    path(
        "me/export/<str:token>.zip", views.ExportDownloadView.as_view(), name="me-export-download"
    ),
    path("me/delete", views.DeletionView.as_view(), name="me-delete"),
]
