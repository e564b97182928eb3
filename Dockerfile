# The image installs the same wheel as CI's wheel stage (.ci/wheel.sh), with the
# dependencies pinned by uv.lock (hashes checked). No per-app list here that could fall
# behind: the wheel holds every package (tests/core/test_package.py).

# 1. Build: the locked requirements and the wheel, compiled translations included.
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/build/venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY . .
RUN uv sync --frozen --no-install-project \
    && /build/venv/bin/python -m core.compile_messages \
    && uv export --frozen --no-emit-project --format requirements.txt --output-file /dist/requirements.txt \
    && uv build --wheel --out-dir /dist

# 2. Run: the wheel and its pinned dependencies, nothing of the checkout.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/app/media
WORKDIR /app
# The TrueType CJK font the printed PDFs embed (core/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist /dist
RUN pip install --no-cache-dir --require-hashes -r /dist/requirements.txt \
    && pip install --no-cache-dir --no-deps /dist/*.whl \
    && rm -rf /dist
# collectstatic reads the settings, which need a database URL (never connected here).
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@127.0.0.1:9/never \
    django-admin collectstatic --noinput
RUN useradd --create-home duoduo && mkdir -p /app/media && chown duoduo /app/media
USER duoduo
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "python:config.gunicorn"]
