import importlib
import importlib.util

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

SIGN_IN = (
    "Sign in with any phone above: POST /api/v1/auth/otp {phone}, then POST "
    "/api/v1/auth/token {phone, code} with the code the SMS backend prints on this console "
    "(SMS_BACKEND=console), or on the page that asks for it. Staff roles also use /admin/ "
    "once `python manage.py changepassword PHONE` has set a password."
)


class Command(BaseCommand):
    help = "Load the demo district modelled on Kangbashi. Running it again changes nothing."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.seed"
            if config.name == "core" or importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            with transaction.atomic():
                summary = module.run()
            self.stdout.write(f"{config.label}: {summary or 'ok'}")
        self.print_people()

    def print_people(self):
        """Every user with a role beyond resident: the demo's people, one per line."""
        users = get_user_model().objects.order_by("phone")
        lines = []
        for user in users:
            roles = [role for role in user.roles if role != "resident"]
            if roles:
                lines.append(f"  {user.phone}  {', '.join(roles):<40} {user.display_name}")
        self.stdout.write(f"Demo people ({len(lines)}):")
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(SIGN_IN)
