"""bench/review.py's URLconf: the project's URLs plus the ceiling, a plain Django view
doing one INSERT into the review table. Loaded only by bench/review_settings.py."""

import json

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cadres.models import Review
from config.urls import urlpatterns as app_urlpatterns


@csrf_exempt
@require_POST
def review_insert(request):
    """The ceiling: no authentication, no checks, one INSERT (autocommit, no BEGIN)."""
    body = json.loads(request.body)
    now = timezone.now()
    review = Review.objects.create(
        cadre_id=body["cadre"],
        reviewer_id=body["reviewer"],
        rating=body["rating"],
        tags=body["tags"],
        comment="",
        created_at=now,
        local_date=timezone.localdate(now),
    )
    return JsonResponse({"id": review.pk, "points_awarded": 0}, status=201)


urlpatterns = [path("bench/review-insert", review_insert), *app_urlpatterns]
