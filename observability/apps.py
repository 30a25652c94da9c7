"""Sets up the enabled providers once per process, when Django starts."""

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Starts the providers switched on in settings; with none, no SDK is even imported."""

    name = "observability"

    def ready(self):
        from observability import checks  # noqa: F401  (registers the checks)
        from observability.providers.registry import enabled_providers, prepare_all

        prepare_all()
        for provider in enabled_providers():
            provider.setup()
