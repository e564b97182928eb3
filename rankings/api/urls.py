from django.urls import path

from . import views

urlpatterns = [
    path("cadres/<id:pk>/history", views.CadreHistoryView.as_view(), name="cadre-history"),
    path("rankings", views.RankingMonthListView.as_view(), name="rankings"),
    path("rankings/<str:month>", views.RankingMonthView.as_view(), name="ranking-month"),
]
