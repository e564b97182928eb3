import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.phone import normalize_phone

PASSWORD_FILE = Path(settings.BASE_DIR) / ".admin-password"


class Command(BaseCommand):
    help = "Make sure an administrator exists, and print how to sign in to /admin/."

    def handle(self, *args, **options):
        phone = normalize_phone(os.environ.get("ADMIN_PHONE", "+8613800000000"))
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            admin = User.objects.create_superuser(phone, password, display_name="管理员")
            if not os.environ.get("ADMIN_PASSWORD"):
                PASSWORD_FILE.write_text(password + "\n")
                PASSWORD_FILE.chmod(0o600)
        self.stdout.write(f"Admin: {settings.PUBLIC_BASE_URL}/admin/  phone {admin.phone}")
        if PASSWORD_FILE.exists() and admin.phone == phone:
            self.stdout.write(
                f"       password {PASSWORD_FILE.read_text().strip()}  (from {PASSWORD_FILE.name})"
            )
        else:
            self.stdout.write(
                f"       password: yours (python manage.py changepassword {admin.phone})"
            )
