"""The observability part of a project's settings, read from the environment variables users
already know (OTEL_*, AWS_*, CLOUDWATCH_*, ROLLBAR_*, HONEYCOMB_*), the way dj_database_url.config()
reads DATABASE_URL. settings.py calls these three; nothing in observability reads the environment
after. Values are kept as given: each provider's checks judge them (a wrong one is a warning and
that provider stands aside), so no value here can stop the app from starting."""

from observability.logging import log_format

# Secret values the process holds that no setting names, for the scrubbing policy.
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def observability_settings(environ, debug=False):
    """OBSERVABILITY from `environ` (os.environ): the providers switched on, and their options."""

    def variable(name, default=None):
        return environ.get(name) or default

    names = variable("OBSERVABILITY_PROVIDERS", "").split(",")
    providers = [name.strip().lower() for name in names]
    return {
        "providers": [name for name in providers if name],
        "service_name": variable("OTEL_SERVICE_NAME", "backend-django"),
        # Set from the git sha by the image's build (Dockerfile's RELEASE) or by CI.
        "release": variable("OBSERVABILITY_RELEASE", "").strip() or None,
        "secrets": [environ[name] for name in SECRET_VARIABLES if environ.get(name)],
        # A span (an X-Ray sql subsegment) per query of a traced request, unless "off".
        "database_spans": variable("OBSERVABILITY_DATABASE_SPANS", "on"),
        "otel": {
            "exporter": variable("OTEL_TRACES_EXPORTER", "otlp"),
            "endpoint": variable("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "headers": variable("OTEL_EXPORTER_OTLP_HEADERS", ""),
            "honeycomb_api_key": variable("HONEYCOMB_API_KEY"),
            # For links from Rollbar items to the trace in Honeycomb.
            "honeycomb_team": variable("HONEYCOMB_TEAM"),
            "honeycomb_environment": variable("HONEYCOMB_ENVIRONMENT"),
            "sampler_ratio": variable("OTEL_TRACES_SAMPLER_ARG"),
        },
        "xray": {
            "source": variable("OBSERVABILITY_XRAY_SOURCE"),
            "transport": variable("OBSERVABILITY_XRAY_TRANSPORT", "udp"),
            "region": variable("AWS_REGION") or variable("AWS_DEFAULT_REGION"),
            # The AWS SDKs' endpoint override for X-Ray: also the base of its OTLP endpoint.
            "endpoint_url": variable("AWS_ENDPOINT_URL_XRAY"),
            "daemon_address": variable("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000"),
            "dynamic_naming": variable("AWS_XRAY_URL"),
            "rules_file": variable("AWS_XRAY_RULES_FILE"),
            "centralized_sampling": variable("AWS_XRAY_CENTRALIZED_SAMPLING", "true"),
        },
        "cloudwatch": {
            "log_group": variable("CLOUDWATCH_LOG_GROUP", "cruddur"),
            "region": variable("AWS_DEFAULT_REGION") or variable("AWS_REGION"),
            "send_interval": variable("CLOUDWATCH_SEND_INTERVAL", "5"),
        },
        "metrics": {
            "enabled": variable("OBSERVABILITY_METRICS", "on"),
            "interval": variable("OBSERVABILITY_METRICS_INTERVAL", "60"),
            "namespace": variable("OBSERVABILITY_METRICS_NAMESPACE", "Cruddur"),
            "dimensions": variable("OBSERVABILITY_METRICS_DIMENSIONS", "Service,Route,StatusClass"),
        },
        "rollbar": {
            "access_token": variable("ROLLBAR_ACCESS_TOKEN"),
            "environment": variable(
                "ROLLBAR_ENVIRONMENT", "development" if debug else "production"
            ),
            "endpoint": variable("ROLLBAR_ENDPOINT"),
        },
    }


def logging_settings(observability, level="INFO"):
    """LOGGING: every record carries the request's trace ids, is scrubbed of secrets, and the
    telemetry SDKs' complaints are held to one line a minute each; with CloudWatch Logs on, its
    handler too (the request lines go to CloudWatch only: the console has the access log)."""
    on = observability["providers"]
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "trace_context": {"()": "observability.logging.TraceContextFilter"},
            "scrub": {"()": "observability.logging.ScrubFilter"},
            "sdk_noise": {"()": "observability.logging.SdkNoiseFilter"},
        },
        "formatters": {
            "plain": {"format": log_format(traced=False, release=observability.get("release"))},
            "traced": {"format": log_format(traced=True, release=observability.get("release"))},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                # Trace ids on every line once telemetry is on; plain lines while it is off.
                "formatter": "traced" if on else "plain",
                "filters": ["sdk_noise", "trace_context", "scrub"],
            },
        },
        "loggers": {
            # runserver's access log, through the same handlers as everything else.
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": level},
    }
    if "cloudwatch" in on:
        config["handlers"]["cloudwatch"] = {
            "()": "observability.providers.cloudwatch.handler.cloudwatch_handler",
            "filters": ["sdk_noise"],
        }
        config["root"]["handlers"].append("cloudwatch")
        config["loggers"]["django.server"]["handlers"].append("cloudwatch")
        config["loggers"]["observability.requests"] = {
            "handlers": ["cloudwatch"], "level": "INFO", "propagate": False,
        }  # fmt: skip
    return config


def rollbar_settings(observability, root):
    """ROLLBAR, the setting Rollbar's own Django middleware reads; empty (the middleware then
    stands down) unless Rollbar is on."""
    if "rollbar" not in observability["providers"]:
        return {}
    from observability.providers.registry import provider_class

    return provider_class("rollbar").django_settings(
        observability["rollbar"], root, release=observability.get("release")
    )
