"""The ceilings' WSGI application: Django's own, nothing in front (bench/ceiling_settings.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.ceiling_settings")
application = get_wsgi_application()
