FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The TrueType CJK font the printed PDFs embed (core/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY points ./points
COPY cadres ./cadres
COPY moderation ./moderation
COPY rankings ./rankings
COPY stalls ./stalls
COPY manage.py ./
RUN pip install --no-cache-dir . && python -m core.compile_messages \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home duoduo && mkdir -p /app/media && chown duoduo /app/media
USER duoduo
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py"]
