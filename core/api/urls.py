from django.urls import path

from .views import DataAccessView, ScanView

urlpatterns = [
    path("scan", ScanView.as_view(), name="scan"),
    path("me/data-access", DataAccessView.as_view(), name="me-data-access"),
]
