"""Django system checks for observability: `manage.py check` names each misconfiguration, with ids
observability.W0xx/E0xx and a hint."""

from django.core.checks import Warning, register

from observability.conf import PROVIDER_IDS, conf
from observability.providers.registry import enabled_providers


@register("observability")
def observability_checks(app_configs, **kwargs):
    """Unknown provider names, then each enabled provider's own checks."""
    messages = [
        Warning(
            f"OBSERVABILITY_PROVIDERS names {name!r}, which is no provider.",
            hint=f"Use a comma-separated subset of {', '.join(PROVIDER_IDS)}.",
            id="observability.W001",
        )
        for name in conf.unknown_providers()
    ]
    for provider in enabled_providers():
        messages += provider.checks()
    return messages
