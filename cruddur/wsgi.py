"""WSGI entry point, served by gunicorn in containers (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cruddur.settings")

application = get_wsgi_application()
