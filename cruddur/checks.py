"""Deployment checks for settings that Django's own `check --deploy` cannot see."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):
    """Warn when this process made up its secret key instead of reading it from the environment."""
    if getattr(settings, "SECRET_KEY_FROM_ENVIRONMENT", True):
        return []
    return [
        Warning(
            "DJANGO_SECRET_KEY is not set: this process made up a random secret key of its own.",
            hint="Set DJANGO_SECRET_KEY to a long random value (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))') so that every process shares one key.",
            id="cruddur.W001",
        )
    ]
