"""Logging parts: watchtower's CloudWatch handler, built from the observability settings for
LOGGING, and kept from logging about itself."""

import logging

import watchtower

from observability.conf import conf

# Loggers of the SDKs that ship logs: their records never go back into the CloudWatch handler.
SDK_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "watchtower", "observability.problems")


class SdkLogFilter(logging.Filter):
    """Drops records of the AWS SDK, its HTTP stack, watchtower, and telemetry problems."""

    def filter(self, record):
        return not record.name.startswith(SDK_LOGGERS)


class CloudWatchLogHandler(watchtower.CloudWatchLogHandler):
    """watchtower's handler, that waits at most a few seconds for delivery at shutdown."""

    FLUSH_TIMEOUT = 4


def cloudwatch_handler():
    """LOGGING handler factory: watchtower's handler as settings say, or a NullHandler (and one
    warning) when CloudWatch Logs is on but cannot work here."""
    from observability.providers import registry
    from observability.providers.cloudwatch import aws_client

    provider = registry["cloudwatch"]
    if not provider.setup():
        return logging.NullHandler()
    options = provider.options
    try:
        handler = CloudWatchLogHandler(
            log_group_name=options["log_group"],
            log_stream_name=options["log_stream"].replace("{service}", conf.service_name),
            boto3_client=aws_client("logs", provider.region()),
            send_interval=options["send_interval"],
        )
    except Exception as error:
        provider.stand_aside(f"watchtower could not start: {error!r}")
        return logging.NullHandler()
    handler.addFilter(SdkLogFilter())
    return handler
