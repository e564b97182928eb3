"""gunicorn's settings, shared by the Dockerfile, docker-compose, CI and the benchmarks.

Command-line flags (--bind, --workers, --threads) override these.
"""

bind = "0.0.0.0:8000"
workers = 4
threads = 4
worker_class = "gthread"
# Size limits on what gunicorn parses before Django sees anything. Without them (0) a
# 20 MB request line took a worker 108 s of CPU; with them it is refused at once.
# 8190 bytes is gunicorn's largest request line; a header field gets as much, and a
# request at most 100 header fields (gunicorn's default).
# The refusal is gunicorn's own small HTML page (400/414/431), not the API's JSON body:
# gunicorn offers no hook to render it. No conforming request comes near these sizes:
# the schema documents a maxLength for every string parameter and a 64-bit range for
# every integer one (core.schema.bound_parameters), so clients and CI's schemathesis
# run (which checks content types against the schema) stay within them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
