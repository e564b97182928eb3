import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Published rankings' plainest requests, answered in front of the middleware; imported
# once Django is set up (it reaches models).
from config.stored_answers import StoredAnswers  # noqa: E402

application = StoredAnswers(django_application)
