from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Imported here, not at the top: roles need the models.
        from . import roles

        roles.register_declared()
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="accounts.sync_role_groups")
