from django.urls import path

from . import views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read", views.NotificationReadView.as_view(), name="notifications-read"),
    path(
        "notifications/preferences",
        views.NotificationPreferencesView.as_view(),
        name="notifications-preferences",
    ),
    path("sms/receipts/aliyun", views.AliyunReceiptView.as_view(), name="sms-receipts-aliyun"),
    path("sms/receipts/tencent", views.TencentReceiptView.as_view(), name="sms-receipts-tencent"),
]
