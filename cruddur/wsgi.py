"""WSGI entry point, served by gunicorn in containers (see gunicorn.conf.py).

Django's handler is wrapped so that a chunked request body is read rather than taken for an
empty one (cruddur/chunked.py).
"""

import os

from django.core.wsgi import get_wsgi_application

from cruddur.chunked import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cruddur.settings")

application = ChunkedBodyMiddleware(get_wsgi_application())
