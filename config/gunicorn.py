"""gunicorn's settings, shared by the Dockerfile, docker-compose, CI and the benchmarks.

Command-line flags (--bind, --workers, --threads) override these.
"""

bind = "0.0.0.0:8000"
workers = 4
threads = 4
worker_class = "gthread"
# No size limit of gunicorn's own on the request line and header values: an oversized
# request reaches Django, which bounds what it parses (DATA_UPLOAD_MAX_NUMBER_FIELDS,
# core.middleware.RequestSizeLimitMiddleware) and answers with the API's JSON error body
# instead of gunicorn's HTML page. The reverse proxy in front caps raw sizes.
limit_request_line = 0
limit_request_field_size = 0
accesslog = "-"
