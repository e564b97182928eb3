from django.urls import path

from . import views

urlpatterns = [
    path("points/payments", views.PaymentCreateView.as_view(), name="points-payments"),
    path(
        "merchant/payment-requests",
        views.PaymentRequestCreateView.as_view(),
        name="merchant-payment-requests",
    ),
    path(
        "merchant/payment-requests/<id:pk>",
        views.PaymentRequestDetailView.as_view(),
        name="merchant-payment-request",
    ),
    path(
        "merchant/payment-requests/<id:pk>/qr.png",
        views.PaymentRequestQrView.as_view(),
        name="merchant-payment-request-qr",
    ),
    path("merchant/code", views.CounterCodeView.as_view(), name="merchant-code"),
    path("merchant/code/qr.png", views.CounterCodeQrView.as_view(), name="merchant-code-qr"),
    path("merchant/payments", views.MerchantPaymentListView.as_view(), name="merchant-payments"),
    path(
        "merchant/payments/<id:pk>/refunds",
        views.RefundCreateView.as_view(),
        name="merchant-payment-refunds",
    ),
    path("merchant/vouchers", views.MerchantVoucherListView.as_view(), name="merchant-vouchers"),
    path("merchant/statements", views.StatementListView.as_view(), name="merchant-statements"),
    path(
        "merchant/statements/<id:pk>/csv",
        views.StatementCsvView.as_view(),
        name="merchant-statement-csv",
    ),
    path(
        "settlement/statements",
        views.SettlementStatementListView.as_view(),
        name="settlement-statements",
    ),
    path(
        "settlement/statements/<id:pk>/confirm",
        views.StatementConfirmView.as_view(),
        name="settlement-statement-confirm",
    ),
    path(
        "settlement/statements/<id:pk>/pay",
        views.StatementPayView.as_view(),
        name="settlement-statement-pay",
    ),
]
