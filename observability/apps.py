"""Sets up the enabled providers once per process, when Django starts."""

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Starts the providers switched on in settings; with none, does nothing at all."""

    name = "observability"

    def ready(self):
        from observability import checks  # noqa: F401  (registers the checks)
        from observability.conf import conf
        from observability.providers import enabled_providers
        from observability.providers.xray import disable_sdk_unless, drop_malformed_sdk_environment

        drop_malformed_sdk_environment()
        disable_sdk_unless(conf.enabled("xray"))
        for provider in enabled_providers():
            provider.setup()
