from django.urls import path

from . import views

urlpatterns = [
    path("auth/otp", views.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("privacy", views.PrivacyNoticeView.as_view(), name="privacy"),
    path("me/consents", views.ConsentView.as_view(), name="me-consents"),
]
