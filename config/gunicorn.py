"""gunicorn's settings, shared by the Dockerfile, docker-compose, CI and the benchmarks.

Command-line flags (--bind, --workers, --threads) override these.
"""

bind = "0.0.0.0:8000"
workers = 4
threads = 4
worker_class = "gthread"
# The longest request line gunicorn allows: long query strings reach Django, which
# answers them with the API's JSON error body instead of gunicorn's HTML page.
limit_request_line = 8190
accesslog = "-"
