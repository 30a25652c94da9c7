"""App configuration for the Cruddur API."""

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """The Cruddur API app."""

    name = "activities"
    verbose_name = "Cruddur activities"
