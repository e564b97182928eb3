"""The Points section of API.md: one view per operation, thin."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import StatelessJWTAuthentication
from accounts.consent import consent_require
from accounts.permissions import HasRole
from accounts.roles import Role
from accounts.selectors import user_has_role
from core import codes, metrics
from core.errors import Forbidden, Invalid, or_404
from core.idempotency import idempotent
from core.masking import mask_phone
from core.pagination import PAGE_PARAMETERS, paginate, paginated
from core.parsers import UPLOAD_PARSERS
from core.photos import validate_photo
from core.schema import error_response
from core.serializers import (
    ComputedCharField,
    ComputedIntegerField,
    ModelSerializer,
    StrictIntegerField,
    as_object,
)
from core.throttling import AnonRateThrottle, ScopedThrottle, UserAndScopeThrottle

from .. import campaigns, permissions, selectors, services
from ..codes import PrivilegePass, privilege_pass_issue, voucher_url
from ..models import Currency, Merchant, MoralCategory, MoralClaim, Redemption, Reward

MAX_INT = 2_147_483_647
# DEFAULT_THROTTLE_CLASSES as APIView holds them: classes (the stubs type the setting as paths).
THROTTLES = APIView.throttle_classes


GRAB_CLAIMS = metrics.counter(
    "duoduo_grab_claims",
    "Grab campaign claims by outcome: claimed, or the error code.",
    ("outcome",),
)


class TierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    privileges = serializers.ListField(child=serializers.CharField())


class PointsExpiringSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("The last day on which these points can be spent."))
    points = StrictIntegerField()


class BalanceView(APIView):
    """GET /points/balance: the resident's redeemable and moral points and tier, and the
    next dates on which redeemable points expire."""

    class OutputSerializer(serializers.Serializer):
        redeemable = StrictIntegerField()
        redeemable_yuan = ComputedCharField(lambda summary: selectors.yuan(summary.redeemable))
        moral = StrictIntegerField()
        tier = TierSerializer(allow_null=True)
        expiring = PointsExpiringSerializer(
            many=True,
            help_text=_(
                "The next (at most three) dates on which redeemable points expire, soonest "
                "first: points earned in a month can be spent until the end of the 12th "
                "month after it (POINTS_EXPIRY_MONTHS), oldest spent first."
            ),
        )

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        balance = selectors.points_balance(user=request.user)
        return Response(self.OutputSerializer(balance).data)


class EntryListView(APIView):
    """GET /points/entries: the resident's own ledger entries, newest first."""

    class OutputSerializer(serializers.Serializer):
        id = StrictIntegerField()
        kind = serializers.ChoiceField(choices=Currency.choices, source="account.currency")
        amount = StrictIntegerField()
        balance_after = StrictIntegerField()
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Currency.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses=paginated(OutputSerializer)["responses"],
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        entries = selectors.entries_for(
            user=request.user, currency=filters.validated_data.get("kind")
        )
        return paginate(
            view=self,
            request=request,
            queryset=entries,
            serialize=lambda entry: self.OutputSerializer(entry).data,
        )


class CampaignOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    points_per_claim = StrictIntegerField()
    claims = StrictIntegerField()
    claims_left = ComputedIntegerField(
        lambda campaign: selectors.campaign_claims_left(campaign=campaign)
    )

    class Meta:
        ref_name = "Campaign"


class CampaignListView(APIView):
    """GET /points/campaigns: open grab campaigns; POST: a district_admin creates one."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=100)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        points_per_claim = StrictIntegerField(min_value=1, max_value=100_000)
        claims = StrictIntegerField(min_value=1, max_value=1_000_000)

    def get_permissions(self):
        if self.request is not None and self.request.method == "POST":
            return [HasRole(Role.DISTRICT_ADMIN)()]
        return super().get_permissions()

    @extend_schema(**paginated(CampaignOutputSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.campaigns_active(),
            serialize=lambda campaign: CampaignOutputSerializer(campaign).data,
        )

    @extend_schema(request=InputSerializer, responses={201: CampaignOutputSerializer})
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaigns.campaign_create(**data.validated_data, created_by=request.user)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignClaimView(APIView):
    """POST /points/campaigns/{id}/claim: grab one claim of the campaign."""

    authentication_classes = [StatelessJWTAuthentication]
    # The per-user rate and the claim scope in one Redis call; the anonymous one as usual.
    throttle_classes = [AnonRateThrottle, UserAndScopeThrottle]
    throttle_scope = "claim"

    class OutputSerializer(serializers.Serializer):
        amount = StrictIntegerField()
        balance = StrictIntegerField()

    @extend_schema(
        request=None,
        responses={
            201: OutputSerializer,
            409: error_response(
                "`already_claimed`, `sold_out`, `campaign_not_active`, "
                "`idempotency_key_in_progress`."
            ),
        },
    )
    @idempotent
    @metrics.counts_outcomes(GRAB_CLAIMS, done="claimed")
    def post(self, request, pk):
        campaign = or_404(selectors.campaign_for_claim(pk=pk))
        result = campaigns.campaign_claim(campaign=campaign, resident=request.user)
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


class RewardOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    title = serializers.CharField()
    merchant = inline_serializer(
        "RewardMerchant", {"id": StrictIntegerField(), "name": serializers.CharField()}
    )
    cost_points = StrictIntegerField()
    cost_yuan = ComputedCharField(lambda reward: selectors.yuan(reward.cost_points))
    stock = StrictIntegerField()

    class Meta:
        ref_name = "Reward"


class RewardListView(APIView):
    """GET /points/rewards: the catalog; POST: a merchant (or district_admin) adds one."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=100)
        cost_points = StrictIntegerField(min_value=1, max_value=10_000_000)
        stock = StrictIntegerField(min_value=0, max_value=1_000_000)
        merchant = StrictIntegerField(min_value=1, max_value=MAX_INT, required=False)

    def get_permissions(self):
        if self.request is not None and self.request.method == "POST":
            return [HasRole(Role.MERCHANT, Role.DISTRICT_ADMIN)()]
        return super().get_permissions()

    @extend_schema(**paginated(RewardOutputSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=selectors.rewards_catalog(),
            serialize=lambda reward: RewardOutputSerializer(reward).data,
        )

    @extend_schema(request=InputSerializer, responses={201: RewardOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        merchant_id = values.pop("merchant", None)
        if user_has_role(user=request.user, role=Role.DISTRICT_ADMIN):
            if merchant_id is None:
                raise Invalid(fields={"merchant": [_("Name the merchant of the reward.")]})
            merchant = Merchant.objects.filter(pk=merchant_id).first()
            if merchant is None:
                raise Invalid(fields={"merchant": [_("No such merchant.")]})
        else:
            mine = request.user.merchants.all()
            if merchant_id is not None:
                mine = mine.filter(pk=merchant_id)
            merchant = mine.order_by("pk").first()
            if merchant is None:
                raise Forbidden(_("You can add rewards to your own shop only."))
        reward = services.reward_create(merchant=merchant, **values)
        return Response(RewardOutputSerializer(reward).data, status=status.HTTP_201_CREATED)


class RedemptionOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    code_url = ComputedCharField(voucher_url)
    status = serializers.CharField(help_text="issued, used or cancelled")
    reward = RewardOutputSerializer()
    cost_points = StrictIntegerField()
    created_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Redemption"


class RedemptionListView(APIView):
    """GET /points/redemptions: own vouchers; POST: spend points on a reward."""

    class InputSerializer(serializers.Serializer):
        reward = StrictIntegerField(min_value=1, max_value=MAX_INT)

    @extend_schema(**paginated(RedemptionOutputSerializer))
    def get(self, request):
        redemptions = Redemption.objects.filter(resident=request.user).select_related(
            "reward__merchant"
        )
        return paginate(
            view=self,
            request=request,
            queryset=redemptions,
            serialize=lambda redemption: RedemptionOutputSerializer(redemption).data,
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RedemptionOutputSerializer,
            409: error_response(
                "`insufficient_points`, `out_of_stock` (also for a reward not offered now), "
                "`idempotency_key_in_progress`."
            ),
        },
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reward = (
            Reward.objects.select_related("merchant")
            .filter(pk=data.validated_data["reward"])
            .first()
        )
        if reward is None:
            raise Invalid(fields={"reward": [_("No such reward.")]})
        redemption = services.redemption_create(reward=reward, resident=request.user)
        return Response(RedemptionOutputSerializer(redemption).data, status=status.HTTP_201_CREATED)


class RedemptionCancelView(APIView):
    """POST /points/redemptions/{id}/cancel: the owner gets the points back."""

    @extend_schema(
        request=None,
        responses={
            200: RedemptionOutputSerializer,
            409: error_response("`redemption_not_cancellable`, `idempotency_key_in_progress`."),
        },
    )
    @idempotent
    def post(self, request, pk):
        redemption = services.redemption_cancel(redemption_id=pk, resident=request.user)
        return Response(RedemptionOutputSerializer(redemption).data)


# The voucher as its merchant sees it (POST /redemptions/confirm and POST /scan). Its
# parts are published as free-form objects in the schema; `as_object` keeps them so.
@as_object
class VoucherRewardSerializer(serializers.Serializer):
    id = StrictIntegerField()
    title = serializers.CharField()


@as_object
class VoucherMerchantSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


@as_object
class VoucherHolderSerializer(serializers.Serializer):
    phone_masked = ComputedCharField(lambda resident: mask_phone(resident.phone))


class VoucherCheckSerializer(serializers.Serializer):
    id = StrictIntegerField()
    status = serializers.CharField()
    reward = VoucherRewardSerializer()
    merchant = VoucherMerchantSerializer(source="reward.merchant")
    cost_points = StrictIntegerField()
    holder = VoucherHolderSerializer(source="resident")
    created_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)


def voucher_scan_body(redemption: Redemption, request) -> dict:
    if not permissions.is_merchant_of(user=request.user, merchant_id=redemption.reward.merchant_id):
        raise Forbidden(_("Only the merchant of this reward can scan its vouchers."))
    return VoucherCheckSerializer(redemption).data


class RedemptionConfirmView(APIView):
    """POST /points/redemptions/confirm: the reward's merchant marks a voucher used."""

    permission_classes = [HasRole(Role.MERCHANT)]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=512)

    class OutputSerializer(VoucherCheckSerializer):
        pass

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            403: error_response("`permission_denied`: not a merchant, or another merchant's."),
            404: error_response("`code_invalid`, `code_revoked` (a cancelled voucher)."),
            409: error_response("`redemption_already_used`, `idempotency_key_in_progress`."),
        },
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = services.redemption_confirm(
            code=data.validated_data["code"], merchant_user=request.user
        )
        return Response(self.OutputSerializer(redemption).data)


class MoralCategoryListView(APIView):
    """GET /points/moral/categories: what deeds earn moral points, and how many."""

    permission_classes = [AllowAny]

    class OutputSerializer(ModelSerializer):
        class Meta:
            model = MoralCategory
            fields = ["code", "name", "min_points", "max_points"]

    @extend_schema(**paginated(OutputSerializer))
    def get(self, request):
        return paginate(
            view=self,
            request=request,
            queryset=MoralCategory.objects.filter(active=True),
            serialize=lambda category: self.OutputSerializer(category).data,
        )


class MoralClaimOutputSerializer(serializers.Serializer):
    id = StrictIntegerField()
    category = serializers.CharField(source="category.code")
    description = serializers.CharField()
    occurred_on = serializers.DateField()
    status = serializers.CharField(help_text="pending, approved, rejected or revoked")
    points = StrictIntegerField(allow_null=True)
    reject_reason = serializers.CharField()
    photo_url = ComputedCharField(
        lambda claim: claim.photo.url if claim.photo else None, allow_null=True
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "MoralClaim"


class MoralClaimListView(APIView):
    """GET /points/moral/claims: own claims; POST: file a claim (multipart for a photo)."""

    parser_classes = UPLOAD_PARSERS

    class InputSerializer(serializers.Serializer):
        category = serializers.SlugRelatedField(
            slug_field="code", queryset=MoralCategory.objects.filter(active=True)
        )
        description = serializers.CharField(max_length=2000)
        occurred_on = serializers.DateField()
        photo = serializers.ImageField(required=False, validators=[validate_photo])

    @extend_schema(**paginated(MoralClaimOutputSerializer))
    def get(self, request):
        claims = MoralClaim.objects.filter(resident=request.user).select_related("category")
        return paginate(
            view=self,
            request=request,
            queryset=claims,
            serialize=lambda claim: MoralClaimOutputSerializer(claim).data,
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: MoralClaimOutputSerializer},
    )
    def post(self, request):
        consent_require(user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.moral_claim_create(resident=request.user, **data.validated_data)
        return Response(MoralClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)


class MoralClaimApproveView(APIView):
    """POST /points/moral/claims/{id}/approve: credit points in the category's range."""

    permission_classes = [HasRole(Role.MORAL_REVIEWER)]

    class InputSerializer(serializers.Serializer):
        points = StrictIntegerField(min_value=1, max_value=10_000)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: MoralClaimOutputSerializer,
            400: error_response("`invalid`: points outside the category's range."),
            403: error_response(
                "`permission_denied`: not a moral reviewer; `own_case_subject`: one's own "
                "claim; `own_case_recorder`: filed it at a service desk."
            ),
            409: error_response("`claim_already_decided`, `idempotency_key_in_progress`."),
        },
    )
    @idempotent
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.moral_claim_approve(
            claim_id=pk, reviewer=request.user, points=data.validated_data["points"]
        )
        return Response(MoralClaimOutputSerializer(claim).data)


class MoralClaimRejectView(APIView):
    """POST /points/moral/claims/{id}/reject: refuse a claim with a reason."""

    permission_classes = [HasRole(Role.MORAL_REVIEWER)]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: MoralClaimOutputSerializer,
            403: error_response(
                "`permission_denied`: not a moral reviewer; `own_case_subject`: one's own "
                "claim; `own_case_recorder`: filed it at a service desk."
            ),
            409: error_response("`claim_already_decided`."),
        },
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.moral_claim_reject(
            claim_id=pk, reviewer=request.user, reason=data.validated_data["reason"]
        )
        return Response(MoralClaimOutputSerializer(claim).data)


class PassVerifyOutputSerializer(serializers.Serializer):
    tier = inline_serializer(
        "PassTier",
        {"code": serializers.CharField(), "name": serializers.CharField()},
        allow_null=True,
    )
    privileges = serializers.ListField(child=serializers.CharField())
    holder = inline_serializer(
        "PassHolder",
        {
            "display_name": serializers.CharField(),
            "phone_masked": ComputedCharField(lambda holder: mask_phone(holder.phone)),
        },
    )
    expires_at = serializers.DateTimeField()

    class Meta:
        ref_name = "PrivilegePassCheck"


def pass_body(privilege_pass: PrivilegePass) -> dict:
    """What a partner desk sees: the tier, its privileges, a name and a masked phone."""
    return PassVerifyOutputSerializer(selectors.pass_check(privilege_pass=privilege_pass)).data


def pass_scan_body(privilege_pass: PrivilegePass, request) -> dict:
    if not permissions.is_partner(user=request.user):
        raise Forbidden(_("Only a partner desk can check privilege passes."))
    return pass_body(privilege_pass)


class PrivilegePassView(APIView):
    """POST /points/privilege-pass: a signed pass, valid for 5 minutes, to show as a QR."""

    class OutputSerializer(serializers.Serializer):
        code_url = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request):
        issued = privilege_pass_issue(resident=request.user)
        return Response(self.OutputSerializer(issued).data, status=status.HTTP_201_CREATED)


class PrivilegePassVerifyView(APIView):
    """POST /points/privilege-pass/verify: a partner desk checks a pass."""

    permission_classes = [HasRole(Role.PARTNER)]
    throttle_classes = [*THROTTLES, ScopedThrottle]
    throttle_scope = "pass_verify"

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=512)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: PassVerifyOutputSerializer,
            404: error_response("`code_invalid`: not a pass, or forged."),
            409: error_response("`pass_expired`."),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        privilege_pass = codes.resolve_as(data.validated_data["code"], "privilege_pass")
        return Response(pass_body(privilege_pass))
