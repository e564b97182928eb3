from django.urls import path

from . import pages

urlpatterns = [
    path("leaderboard/", pages.leaderboard, name="leaderboard"),
    path("leaderboard/<str:month>/", pages.leaderboard_month, name="leaderboard-month"),
]
