from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.phone import normalize_phone
from accounts.roles import Role
from accounts.services import role_grant
from core.errors import DomainError


class Command(BaseCommand):
    help = "Give a user (created if new) a role, optionally linked to a unit, cadre or merchant."

    def add_arguments(self, parser):
        parser.add_argument("phone")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--unit", type=int, help="the unit of a unit_admin or urban_officer")
        parser.add_argument("--cadre", type=int, help="the cadre record of a cadre")
        parser.add_argument("--merchant", type=int, help="the merchant of a merchant user")

    def handle(self, *args, phone, role, **options):
        try:
            phone = normalize_phone(phone)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        links = {
            name: options[name]
            for name in ("unit", "cadre", "merchant")
            if options[name] is not None
        }
        try:
            user = role_grant(phone=phone, role=role, links=links)
        except (LookupError, DomainError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.phone}: {role}" + "".join(f" --{k} {v}" for k, v in links.items())
            )
        )
