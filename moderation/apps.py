from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation of reviews")

    def ready(self):
        # Imported here, not at the top: models and URLs are not ready when apps.py loads.
        from accounts.roles import Role, register_role_permissions
        from cadres import hooks

        from . import fraud

        # The cheap fraud rules count within the review's INSERT (cadres.hooks).
        hooks.register_submission_check(
            hooks.SubmissionCheck(
                columns=len(fraud.SUBMISSION_COLUMNS),
                sql=fraud.SUBMISSION_COUNTS_SQL,
                params=fraud.submission_counts_params,
                act=fraud.submission_flags_add,
            )
        )

        register_role_permissions(
            Role.RATING_MODERATOR, ["moderation.view_reviewflag", "moderation.change_reviewflag"]
        )
        register_role_permissions(
            Role.DISTRICT_ADMIN,
            [
                "moderation.view_reviewflag",
                "moderation.change_reviewflag",
                "moderation.view_appeal",
            ]
            + [f"moderation.{action}_holiday" for action in ("view", "add", "change", "delete")],
        )
        # Appeals are decided in the admin (through services.appeal_decide), never edited.
        register_role_permissions(Role.APPEAL_REVIEWER, ["moderation.view_appeal"])
