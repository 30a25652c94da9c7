"""Django system checks for observability: `manage.py check` names each misconfiguration, with ids
observability.W0xx/E0xx and a hint."""

from django.core.checks import Warning, register

from observability.conf import PROVIDER_IDS, as_bool, conf
from observability.metrics import metrics_checks
from observability.providers.registry import enabled_providers


@register("observability")
def observability_checks(app_configs, **kwargs):
    """Unknown provider names, a database_spans that does not parse, each enabled provider's
    own checks, then the request metrics' when a provider that exports them is on."""
    messages = [
        Warning(
            f"OBSERVABILITY_PROVIDERS names {name!r}, which is no provider.",
            hint=f"Use a comma-separated subset of {', '.join(PROVIDER_IDS)}.",
            id="observability.W001",
        )
        for name in conf.unknown_providers()
    ]
    if as_bool(conf.database_spans) is None:
        messages.append(
            Warning(
                f"OBSERVABILITY_DATABASE_SPANS {conf.database_spans!r} is neither on nor off; "
                "database spans stay on.",
                hint="Set it to on (the default) or off.",
                id="observability.W002",
            )
        )
    for provider in enabled_providers():
        messages += provider.checks()
    if any(provider.takes_metrics for provider in enabled_providers()):
        messages += metrics_checks()
    return messages
