from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Imported here, not at the top: roles and selectors need the models, not ready
        # when apps.py loads.
        from core import metrics

        from .roles import sync_role_groups
        from .selectors import ADMIN_REFUSED_METRIC, admin_signin_refusals

        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        metrics.register_counter(
            ADMIN_REFUSED_METRIC,
            "Admin password sign-ins refused by a lock-out, by the limit that was full.",
            admin_signin_refusals,
            labels=("limit",),
        )
