"""The project's URLs and one that fails with personal data about it (tests only)."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

CRASH_PHONE = "+8613912345678"
CRASH_ID_NUMBER = "15060219900101123X"


class Crash(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        phone = CRASH_PHONE  # a local variable an error report must not carry
        raise RuntimeError(f"crashed on purpose for {phone}, ID {CRASH_ID_NUMBER}")


urlpatterns = [
    path("api/v1/test-crash", Crash.as_view()),
    path("", include("config.urls")),
]
