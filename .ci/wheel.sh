#!/usr/bin/env bash
# CI's wheel stage: the artifact a district installs. Builds the wheel from the checkout,
# installs it with the locked requirements (hashes) into a new virtualenv in a folder
# outside the checkout, and from there runs `django-admin check --deploy` with
# production-like variables, `migrate` on a new database, and gunicorn from the installed
# package answering /readyz, /metrics and a resident's flow (.ci/wheel_flow.py).
# Usage: .ci/wheel.sh   (after `make test`: .venv and .uv exist)
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT="$PWD"
RUN_ID="$(date +%s)_$$"
ROOT="$(mktemp -d /tmp/duoduo-wheel.XXXXXX)"
PG="postgres://postgres@127.0.0.1:5432"
DB="duoduo_wheel_${RUN_ID}"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
GUNICORN_PID=""
cleanup() {
  [ -n "$GUNICORN_PID" ] && kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null || true
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap cleanup EXIT

# The lock matches pyproject.toml (make installs with --frozen, which does not check it).
UV_PYTHON_DOWNLOADS=never .uv/bin/uv lock --check
make wheel
WHEEL="$(ls "$CHECKOUT"/dist/duoduo-*.whl)"
UV_PYTHON_DOWNLOADS=never .uv/bin/uv export --frozen --no-emit-project --format requirements.txt \
  --output-file "$ROOT/requirements.txt" >/dev/null
python3 .ci/wheel_contents.py "$WHEEL"

# uv's pip (the Dockerfile uses pip itself: the same pins, the same hashes).
python3 -m venv "$ROOT/venv"
UV_PYTHON_DOWNLOADS=never .uv/bin/uv pip install --quiet --python "$ROOT/venv/bin/python" \
  --require-hashes -r "$ROOT/requirements.txt"
UV_PYTHON_DOWNLOADS=never .uv/bin/uv pip install --quiet --python "$ROOT/venv/bin/python" \
  --no-deps "$WHEEL"

cd "$ROOT"   # nothing of the checkout is on the path from here on
BIN="$ROOT/venv/bin"
"$BIN/python" -c "import config, sys; assert '$CHECKOUT' not in config.__file__, config.__file__; print('installed at', config.__file__)"
export DJANGO_SETTINGS_MODULE=config.settings
PROD_ENV=(DEBUG=0 SECRET_KEY="ci-wheel-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')-production-like"
  ID_ENCRYPTION_KEYS="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')"
  ALLOWED_HOSTS=duoduo.example.cn PUBLIC_BASE_URL=https://duoduo.example.cn
  DATABASE_URL="$PG/$DB" STATIC_ROOT="$ROOT/static" MEDIA_ROOT="$ROOT/media")
psql "$PG/postgres" -qc "CREATE DATABASE $DB"
env "${PROD_ENV[@]}" "$BIN/django-admin" check --deploy --fail-level WARNING
env "${PROD_ENV[@]}" "$BIN/django-admin" migrate --noinput -v0
env "${PROD_ENV[@]}" "$BIN/django-admin" collectstatic --noinput -v0

# Served over plain HTTP on loopback: the same variables, but for the address and TLS.
SERVE_ENV=("${PROD_ENV[@]}" ALLOWED_HOSTS=127.0.0.1 PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
  SECURE_SSL_REDIRECT=0 SMS_BACKEND=file SMS_FILE_PATH="$ROOT/sms.jsonl" LOG_FORMAT=json
  REDIS_URL="redis://127.0.0.1:6379/10")
env "${SERVE_ENV[@]}" "$BIN/django-admin" seed_demo >/dev/null
env "${SERVE_ENV[@]}" "$BIN/gunicorn" config.wsgi:application -c python:config.gunicorn \
  --bind "127.0.0.1:$PORT" --workers 2 --threads 2 >"$ROOT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
BADGE="$(env "${SERVE_ENV[@]}" "$BIN/django-admin" shell -c \
  'from cadres.models import Cadre; from cadres.codes import badge_url; print(badge_url(Cadre.objects.order_by("id").first()))')"
"$BIN/python" "$CHECKOUT/.ci/wheel_flow.py" "http://127.0.0.1:$PORT" "$BADGE" "$ROOT/sms.jsonl" "$ROOT/gunicorn.log"
