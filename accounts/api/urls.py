from django.urls import path

from . import views

urlpatterns = [
    path("auth/otp", views.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/wechat", views.WechatSignInView.as_view(), name="auth-wechat"),
    path("me/wechat", views.MeWechatView.as_view(), name="me-wechat"),
    path("privacy", views.PrivacyNoticeView.as_view(), name="privacy"),
    path("me/consents", views.ConsentView.as_view(), name="me-consents"),
]
