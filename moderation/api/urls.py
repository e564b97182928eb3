from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<id:pk>/appeal", views.ReviewAppealCreateView.as_view(), name="review-appeal"),
    path("cadre/appeals", views.CadreAppealListView.as_view(), name="cadre-appeals"),
    path("appeals", views.AppealListView.as_view(), name="appeals"),
    path("appeals/<id:pk>/decide", views.AppealDecideView.as_view(), name="appeal-decide"),
]
