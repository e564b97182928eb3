"""gunicorn's settings, shared by the Dockerfile, docker-compose, CI and the benchmarks.

Command-line flags (--bind, --workers, --threads) override these.
"""

bind = "0.0.0.0:8000"
workers = 4
threads = 4
# gthread, answering gunicorn's own refusals (below) with the API's JSON error body.
worker_class = "core.gunicorn_worker.JsonErrorThreadWorker"
# Size limits on what gunicorn parses before Django sees anything. Without them (0) a
# 20 MB request line took a worker 108 s of CPU; with them it is refused at once.
# 8190 bytes is gunicorn's largest request line; a header field gets as much, and a
# request at most 100 header fields (gunicorn's default).
# gunicorn answers such a request itself (400 for the request line, 431 for a header);
# its page is HTML, which CI's schemathesis run refuses (it checks content types against
# the schema, and its negative cases send overlong values), so the worker class above
# sends the API's JSON error body instead, and the schema documents 431. No conforming
# request comes near these sizes: every string parameter has a documented maxLength and
# every integer one a 64-bit range (core.schema.bound_parameters).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
