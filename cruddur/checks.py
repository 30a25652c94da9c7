"""Checks for what settings.py read from the environment: values that did not parse, and a secret
key that production should set (Django's own `check --deploy` cannot see either)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def environment_values(app_configs, **kwargs):
    """Each environment variable whose value did not parse, by name (settings.py used the
    default instead of stopping with a traceback)."""
    return [
        Error(
            problem,
            hint="Fix or unset the variable; README.md lists every variable and its form.",
            id="cruddur.E001",
        )
        for problem in getattr(settings, "ENVIRONMENT_PROBLEMS", [])
    ]


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):
    """Warn when the secret key does not come from the environment: a key file is this machine's
    alone, and a key made per process makes one worker refuse what another signed."""
    source = getattr(settings, "SECRET_KEY_SOURCE", "environment")
    hint = (
        "Set DJANGO_SECRET_KEY to a long random value (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))') so that every process and every replica shares one key."
    )
    if source == "file":
        message = (
            f"DJANGO_SECRET_KEY is not set: the key comes from {settings.SECRET_KEY_FILE}, which "
            "other machines and replicas do not share."
        )
        return [Warning(message, hint=hint, id="cruddur.W001")]
    if source == "process":
        message = (
            f"DJANGO_SECRET_KEY is not set and {settings.SECRET_KEY_FILE} cannot be written: "
            "each process made up a key of its own, so paging cursors from one worker fail in "
            "another."
        )
        return [Warning(message, hint=hint, id="cruddur.W002")]
    return []
