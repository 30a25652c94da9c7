"""AWS clients for telemetry, shared by the providers that call AWS (CloudWatch Logs, and X-Ray's
resources command)."""


def aws_client(service, region):
    """A boto3 client that gives up quickly: telemetry never waits long on AWS."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"max_attempts": 1, "mode": "standard"},
        # A batch holds thousands of events; the service validates them anyway.
        parameter_validation=False,
    )
    return boto3.client(service, region_name=region, config=config)
