"""The cadres' serializers that other apps' bodies nest (a cadre's card, a unit, a review's
answer and the appeal against it)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.serializers import (
    ComputedCharField,
    ComputedURLField,
    StrictIntegerField,
)

from ..pages import photo_url


class UnitRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


class CadreSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    unit = UnitRefSerializer()
    photo_url = ComputedURLField(
        lambda cadre, context: photo_url(cadre, context.get("request")),
        with_context=True,
        allow_null=True,
    )


class ResponseBodySerializer(serializers.Serializer):
    """A review's answer and its verdict; null until the cadre answers."""

    message = serializers.CharField(source="response_message")
    responded_at = serializers.DateTimeField()
    accepted = serializers.BooleanField(
        source="verdict_accepted", allow_null=True, help_text="The reviewer's verdict."
    )
    verdict_at = serializers.DateTimeField(allow_null=True)

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, review):
        if review.responded_at is None:
            return None
        return super().to_representation(review)


def appeal_outcome(appeal) -> str | None:
    return appeal.outcome or None


class ReviewAppealSerializer(serializers.Serializer):
    """The appeal against a review, as its reviewer sees it: the outcome, not the decider."""

    # moderation.models.Appeal.Status's choices: cadres imports nothing of moderation.
    status = serializers.ChoiceField(
        choices=[("pending", gettext_lazy("pending")), ("decided", gettext_lazy("decided"))]
    )
    outcome = ComputedCharField(
        appeal_outcome,
        allow_null=True,
        help_text="`upheld` (the review no longer counts) or `dismissed`; null while pending.",
    )
    reason = ComputedCharField(
        lambda appeal: appeal.decision_reason or None,
        allow_null=True,
        help_text="The decision's reason; null while pending.",
    )
    decided_at = serializers.DateTimeField(allow_null=True)
