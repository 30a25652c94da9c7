"""The Django project that serves the Cruddur backend: settings, URLs, WSGI and ASGI."""
