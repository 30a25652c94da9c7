"""The project as an app of its own, so that its deployment checks are registered."""

from django.apps import AppConfig


class CruddurConfig(AppConfig):
    """Registers the project's system checks."""

    name = "cruddur"

    def ready(self):
        from cruddur import checks  # noqa: F401  (registers the checks)
