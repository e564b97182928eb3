from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    # Its role permissions: registrations.py. The cheap fraud rules count within the
    # review's INSERT (cadres.hooks).
    name = "moderation"
    verbose_name = _("Moderation of reviews")

    def ready(self):
        # Imported here, not at the top: models are not ready when apps.py loads.
        from cadres import hooks

        from . import fraud

        hooks.register_submission_check(
            hooks.SubmissionCheck(
                columns=len(fraud.SUBMISSION_COLUMNS),
                sql=fraud.SUBMISSION_COUNTS_SQL,
                params=fraud.submission_counts_params,
                act=fraud.submission_flags_add,
            )
        )
