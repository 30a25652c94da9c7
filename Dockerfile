# The Cruddur backend: nginx on port 4567 in front of gunicorn (bin/serve-proxied, nginx.conf).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=4567

# nginx reads every request whole before gunicorn sees it, so slow clients cannot starve it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

# The release this image runs (e.g. `--build-arg RELEASE=$(git rev-parse --short HEAD)`):
# service.version on spans and segments, Rollbar's code_version, release= on every log line.
ARG RELEASE=""
ENV OBSERVABILITY_RELEASE=${RELEASE}

WORKDIR /backend-django
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 cruddur && chown -R cruddur /backend-django
USER cruddur

EXPOSE 4567
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/api/health-check', timeout=4)"

# A fresh database is migrated (and seeded) before the first request. nginx then runs in the
# background, and gunicorn (on 127.0.0.1:8000) in the foreground: the container lives as long as it.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec python bin/serve-proxied"]
