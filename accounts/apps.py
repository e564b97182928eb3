from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Imported here, not at the top: roles and selectors need the models.
        from core import metrics

        from . import roles, selectors

        roles.register_declared()
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        metrics.register_counter(
            selectors.ADMIN_REFUSED_METRIC,
            "Admin password sign-ins refused by a lock-out, by the limit that was full.",
            selectors.admin_signin_refusals,
            labels=("limit",),
        )
