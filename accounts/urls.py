from django.urls import path

from . import pages

urlpatterns = [
    path("signin/code", pages.signin_code, name="signin-code"),
    path("signin/verify", pages.signin_verify, name="signin-verify"),
    path("signout", pages.signout, name="signout"),
    path("privacy/", pages.privacy_notice, name="privacy-notice"),
    path("privacy/accept", pages.consent_accept, name="privacy-accept"),
]
