from django.urls import path

from . import views

urlpatterns = [
    path("sites", views.SiteListView.as_view(), name="stalls-sites"),
    path("sites/<id:pk>", views.SiteDetailView.as_view(), name="stalls-site"),
    path("sites/<id:pk>/qr.png", views.SiteQrPngView.as_view(), name="stalls-site-qr"),
    path("sites/<id:pk>/poster.pdf", views.SitePosterView.as_view(), name="stalls-site-poster"),
    path("sites/<id:pk>/qr/rotate", views.SiteQrRotateView.as_view(), name="stalls-site-qr-rotate"),
    path("registrations", views.RegistrationsView.as_view(), name="stalls-registrations"),
    path(
        "registrations/mine",
        views.RegistrationMineView.as_view(),
        name="stalls-registrations-mine",
    ),
    path(
        "registrations/<id:pk>",
        views.RegistrationDetailView.as_view(),
        name="stalls-registration",
    ),
    path(
        "registrations/<id:pk>/approve",
        views.RegistrationApproveView.as_view(),
        name="stalls-registration-approve",
    ),
    path(
        "registrations/<id:pk>/reject",
        views.RegistrationRejectView.as_view(),
        name="stalls-registration-reject",
    ),
    path(
        "registrations/<id:pk>/review",
        views.RegistrationReviewView.as_view(),
        name="stalls-registration-review",
    ),
    path(
        "registrations/<id:pk>/withdraw",
        views.RegistrationWithdrawView.as_view(),
        name="stalls-registration-withdraw",
    ),
    path("pledge", views.PledgeView.as_view(), name="stalls-pledge"),
    path("appeals", views.AppealListView.as_view(), name="stalls-appeals"),
    path("appeals/mine", views.AppealMineView.as_view(), name="stalls-appeals-mine"),
    path(
        "appeals/<id:pk>/decide", views.StallAppealDecideView.as_view(), name="stalls-appeal-decide"
    ),
    path("reports", views.ReportListView.as_view(), name="stalls-reports"),
    path("reports/mine", views.ReportMineView.as_view(), name="stalls-reports-mine"),
    path("reports/<id:pk>/close", views.ReportCloseView.as_view(), name="stalls-report-close"),
    path("<id:pk>", views.StallDetailView.as_view(), name="stalls-stall"),
    path("<id:pk>/qr.png", views.StallQrPngView.as_view(), name="stalls-stall-qr"),
    path("<id:pk>/reports", views.StallReportCreateView.as_view(), name="stalls-stall-reports"),
    path(
        "<id:pk>/inspections",
        views.StallInspectionView.as_view(),
        name="stalls-stall-inspections",
    ),
    path("<id:pk>/reinstate", views.StallReinstateView.as_view(), name="stalls-stall-reinstate"),
    path("<id:pk>/withdraw", views.StallWithdrawView.as_view(), name="stalls-stall-withdraw"),
    path("<id:pk>/renew", views.StallRenewView.as_view(), name="stalls-stall-renew"),
    path("<id:pk>/photo", views.StallPhotoView.as_view(), name="stalls-stall-photo"),
    path("<id:pk>/appeals", views.StallAppealCreateView.as_view(), name="stalls-stall-appeals"),
]
