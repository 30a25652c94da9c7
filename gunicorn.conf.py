"""gunicorn's settings for serving Cruddur in a container: `gunicorn cruddur.wsgi`.

PORT, WEB_CONCURRENCY and GUNICORN_THREADS tune it; GUNICORN_CMD_ARGS overrides anything here.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '4567')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 10
accesslog = "-"
# gunicorn's largest request line (it answers longer ones itself, in HTML). The longest search
# (280 characters of 4 UTF-8 bytes each, percent-encoded: 3,360 bytes) and its paging fit.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log passes the same scrubbing as all telemetry (no secrets from query strings).
logger_class = "observability.gunicorn.ScrubbingLogger"
