"""/: the home page the header links to, what the district offers (composed here, above
the apps whose pages it points at)."""

from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(public=True, max_age=300)
def home(request):
    return render(request, "core/home.html")
