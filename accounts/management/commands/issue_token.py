from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.phone import normalize_phone
from accounts.services import user_get_or_create


class Command(BaseCommand):
    help = "Print an access token for a user (created as a resident if new): for scripts and CI."

    def add_arguments(self, parser):
        parser.add_argument("phone")
        parser.add_argument(
            "--hours", type=int, default=0, help="lifetime; default: JWT_ACCESS_MINUTES"
        )

    def handle(self, *args, phone, hours, **options):
        try:
            user = user_get_or_create(phone=normalize_phone(phone))
        except Exception as error:
            raise CommandError(str(error)) from None
        token = AccessToken.for_user(user)
        if hours:
            token.set_exp(lifetime=timedelta(hours=hours))
        self.stdout.write(str(token))
