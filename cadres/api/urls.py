from django.urls import path

from . import views

urlpatterns = [
    path("units", views.UnitListView.as_view(), name="units"),
    path("units/<id:pk>/cadres", views.UnitCadreListView.as_view(), name="unit-cadres"),
    path(
        "units/<id:pk>/review-summary",
        views.UnitReviewSummaryView.as_view(),
        name="unit-review-summary",
    ),
    path("units/<id:pk>/badges.pdf", views.UnitBadgesPdfView.as_view(), name="unit-badges"),
    path("cadres/<id:pk>/qr.png", views.CadreQrPngView.as_view(), name="cadre-qr-png"),
    path("cadres/<id:pk>/qr.svg", views.CadreQrSvgView.as_view(), name="cadre-qr-svg"),
    path("cadres/<id:pk>/qr/rotate", views.CadreQrRotateView.as_view(), name="cadre-qr-rotate"),
    path("cadres/<id:pk>/reviews", views.CadreReviewCreateView.as_view(), name="cadre-reviews"),
    path("cadre/tickets", views.TicketIssueView.as_view(), name="cadre-tickets"),
    path("cadre/tickets/<id:pk>/qr.png", views.TicketQrPngView.as_view(), name="cadre-ticket-qr"),
    path("reviews/mine", views.ReviewMineView.as_view(), name="reviews-mine"),
    path("cadre/reviews", views.CadreMyReviewsView.as_view(), name="cadre-my-reviews"),
    path("reviews/<id:pk>/response", views.ReviewRespondView.as_view(), name="review-response"),
    path("reviews/<id:pk>/verdict", views.ReviewVerdictView.as_view(), name="review-verdict"),
]
