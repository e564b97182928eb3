from django.urls import path

from . import views

urlpatterns = [
    path("rankings", views.OpenRankingsView.as_view(), name="open-rankings"),
    path("stalls", views.OpenStallsView.as_view(), name="open-stalls-api"),
]
