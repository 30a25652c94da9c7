"""gunicorn's settings for serving Cruddur in a container, behind nginx: `bin/serve-proxied`.

gunicorn listens on loopback only: nginx (nginx.conf) takes the clients on PORT and hands gunicorn
each request once it has read it whole, so that slow clients never hold gunicorn's threads.
GUNICORN_PORT, WEB_CONCURRENCY and GUNICORN_THREADS tune it; GUNICORN_CMD_ARGS overrides anything
here.
"""

import contextlib
import os
import signal
from pathlib import Path

bind = f"127.0.0.1:{os.environ.get('GUNICORN_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 10
accesslog = "-"
# Every request comes from nginx: the access log names the client nginx saw instead.
access_log_format = '%({x-real-ip}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
# gunicorn's largest request line (nginx refuses longer ones first, in HTML, over 8 KB). The
# longest search (280 characters of 4 UTF-8 bytes each, percent-encoded: 3,360 bytes) and its
# paging fit.
limit_request_line = 8190
# gunicorn's peer is nginx (127.0.0.1), which passes X-Forwarded-* on as the client sent them.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log passes the same scrubbing as all telemetry (no secrets from query strings).
logger_class = "observability.gunicorn.ScrubbingLogger"


def on_exit(server):
    """Stop the nginx that bin/serve-proxied started in front of this gunicorn (it names nginx's
    pid file in gunicorn's `--env`), so that nginx does not outlive it."""
    pid_file = server.cfg.env.get("NGINX_PID_FILE")
    if pid_file:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(Path(pid_file).read_text()), signal.SIGTERM)
