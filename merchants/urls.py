from django.urls import path

from . import pages

# Pages at /merchant/ (the API's merchant paths are under /api/v1/merchant/).
urlpatterns = [
    path("merchant/", pages.merchant_page, name="merchant-page"),
    path("merchant/till", pages.till_request, name="merchant-till"),
    path("merchant/payments/<id:pk>/refund", pages.refund, name="merchant-refund"),
    path(
        "merchant/statements/<id:pk>.csv",
        pages.statement_csv_page,
        name="merchant-statement-csv-page",
    ),
    path("pay/<str:token>", pages.pay, name="merchant-pay"),
]
