from django.urls import path

from . import views

urlpatterns = [
    path("balance", views.BalanceView.as_view(), name="points-balance"),
    path("entries", views.EntryListView.as_view(), name="points-entries"),
    path("campaigns", views.CampaignListView.as_view(), name="points-campaigns"),
    path(
        "campaigns/<id:pk>/claim",
        views.CampaignClaimView.as_view(),
        name="points-campaign-claim",
    ),
    path("rewards", views.RewardListView.as_view(), name="points-rewards"),
    path("redemptions", views.RedemptionListView.as_view(), name="points-redemptions"),
    path(
        "redemptions/confirm",
        views.RedemptionConfirmView.as_view(),
        name="points-redemption-confirm",
    ),
    path(
        "redemptions/<id:pk>/cancel",
        views.RedemptionCancelView.as_view(),
        name="points-redemption-cancel",
    ),
    path(
        "moral/categories",
        views.MoralCategoryListView.as_view(),
        name="points-moral-categories",
    ),
    path("moral/claims", views.MoralClaimListView.as_view(), name="points-moral-claims"),
    path(
        "moral/claims/<id:pk>/approve",
        views.MoralClaimApproveView.as_view(),
        name="points-moral-claim-approve",
    ),
    path(
        "moral/claims/<id:pk>/reject",
        views.MoralClaimRejectView.as_view(),
        name="points-moral-claim-reject",
    ),
    path("privilege-pass", views.PrivilegePassView.as_view(), name="points-privilege-pass"),
    path(
        "privilege-pass/verify",
        views.PrivilegePassVerifyView.as_view(),
        name="points-privilege-pass-verify",
    ),
]
