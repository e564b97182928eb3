from django.urls import path

from . import pages

urlpatterns = [path("livestream/", pages.livestream_page, name="livestream")]
