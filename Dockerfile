# The Cruddur backend served by gunicorn on port 4567.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=4567

WORKDIR /backend-django
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 cruddur && chown -R cruddur /backend-django
USER cruddur

EXPOSE 4567
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/api/health-check', timeout=4)"

# A fresh database is migrated (and seeded) before the first request.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn cruddur.wsgi"]
