"""The providers, one module each, and the registry that finds them by identifier."""

from observability.providers.cloudwatch import CloudWatchProvider
from observability.providers.otel import OpenTelemetryProvider
from observability.providers.rollbar import RollbarProvider
from observability.providers.xray import XRayProvider

PROVIDERS = [OpenTelemetryProvider(), XRayProvider(), CloudWatchProvider(), RollbarProvider()]
registry = {provider.identifier: provider for provider in PROVIDERS}


def enabled_providers():
    """The providers switched on in settings, in a fixed order."""
    return [provider for provider in PROVIDERS if provider.enabled]


def active_providers():
    """The providers switched on and working in this process."""
    return [provider for provider in PROVIDERS if provider.active]
