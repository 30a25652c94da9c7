"""The providers by identifier, named by dotted path and imported only when first asked for (as
sentry-python's integrations and django-debug-toolbar's panels are): with every provider off,
no provider module and no telemetry SDK is imported. The core reaches providers only here."""

from importlib import import_module

from observability.conf import PROVIDER_IDS, conf

PROVIDER_PATHS = {
    "otel": "observability.providers.otel.OpenTelemetryProvider",
    "xray": "observability.providers.xray.XRayProvider",
    "cloudwatch": "observability.providers.cloudwatch.CloudWatchProvider",
    "rollbar": "observability.providers.rollbar.RollbarProvider",
}
assert tuple(PROVIDER_PATHS) == PROVIDER_IDS

_instances = {}


def provider_class(identifier):
    module, _, name = PROVIDER_PATHS[identifier].rpartition(".")
    return getattr(import_module(module), name)


def provider(identifier):
    """The one instance of that provider in this process."""
    if identifier not in _instances:
        _instances[identifier] = provider_class(identifier)()
    return _instances[identifier]


def prepare_all():
    """Lets every provider class, on or off, prepare the process (Provider.prepare)."""
    for identifier in PROVIDER_IDS:
        provider_class(identifier).prepare(conf.enabled(identifier))


def enabled_providers():
    """The providers switched on in settings, in a fixed order (only these are imported)."""
    return [provider(identifier) for identifier in PROVIDER_IDS if conf.enabled(identifier)]


def active_providers():
    """The providers switched on and working in this process."""
    return [p for p in enabled_providers() if p.active]
