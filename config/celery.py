"""The Celery app. Run exactly one beat process per deployment; workers scale out."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("duoduo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
