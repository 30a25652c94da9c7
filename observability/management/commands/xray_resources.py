"""`manage.py xray_resources`: create (or bring up to date) the X-Ray group and sampling rule of
aws/json/xray.json through boto3. Run it as often as you like: it never makes duplicates."""

from django.core.management.base import BaseCommand, CommandError

from observability.aws import aws_client
from observability.providers.registry import provider_class

RULE_UPDATE_FIELDS = (
    "RuleName", "ResourceARN", "Priority", "FixedRate", "ReservoirSize", "ServiceName",
    "ServiceType", "Host", "HTTPMethod", "URLPath",
)  # fmt: skip


class Command(BaseCommand):
    """Creates or updates the Cruddur X-Ray group and sampling rule."""

    help = "Create or update the X-Ray group and sampling rule of aws/json/xray.json."

    def handle(self, *args, **options):
        import boto3
        import botocore.exceptions

        group, rule = provider_class("xray").rules()
        client = aws_client("xray", boto3.session.Session().region_name)
        try:
            self.stdout.write(f"group {group['GroupName']}: {self.put_group(client, group)}")
            self.stdout.write(f"sampling rule {rule['RuleName']}: {self.put_rule(client, rule)}")
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise CommandError(f"X-Ray did not accept the request: {error}") from error

    def put_group(self, client, group):
        names = {
            existing["GroupName"]
            for page in client.get_paginator("get_groups").paginate()
            for existing in page["Groups"]
        }
        if group["GroupName"] in names:
            client.update_group(**group)
            return "updated"
        client.create_group(**group)
        return "created"

    def put_rule(self, client, rule):
        names = {
            record["SamplingRule"]["RuleName"]
            for page in client.get_paginator("get_sampling_rules").paginate()
            for record in page["SamplingRuleRecords"]
        }
        if rule["RuleName"] in names:
            update = {key: rule[key] for key in RULE_UPDATE_FIELDS if key in rule}
            client.update_sampling_rule(SamplingRuleUpdate=update)
            return "updated"
        client.create_sampling_rule(SamplingRule=rule)
        return "created"
