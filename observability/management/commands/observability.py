"""`manage.py observability`: each provider's state and settings (secrets masked);
`--send-test` sends one test event through every enabled provider and says whether it arrived."""

import json

from django.core.management.base import BaseCommand

from observability.conf import PROVIDER_IDS, conf
from observability.correlation import current_trace, incoming_trace
from observability.metrics import metrics_status
from observability.providers.registry import provider as registered


class Command(BaseCommand):
    """Prints the observability status, and optionally proves each provider end to end."""

    help = "Show each telemetry provider's state and settings; --send-test sends a test event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--send-test", action="store_true",
            help="Send a span, a segment, a log line and a Rollbar message through each provider.",
        )  # fmt: skip

    def handle(self, *args, send_test=False, **options):
        self.stdout.write(f"service name: {conf.service_name}")
        self.stdout.write(f"release: {conf.release or '(none: set OBSERVABILITY_RELEASE)'}")
        self.stdout.write(f"request metrics: {metrics_status()}")
        for identifier in PROVIDER_IDS:
            provider = registered(identifier)
            self.stdout.write(f"\n{provider.title} ({identifier}): {self.state(provider)}")
            for key, value in provider.settings_for_status().items():
                self.stdout.write(f"  {key}: {json.dumps(value, default=str)}")
        if send_test:
            self.send_tests()

    def state(self, provider):
        if not provider.enabled:
            return "off"
        provider.setup()
        return "on" if provider.active else f"on, but standing aside: {provider.problem}"

    def send_tests(self):
        ids = incoming_trace({})
        self.stdout.write(f"\nsend-test trace id: {ids.trace_id} (X-Ray: {ids.xray_trace_id})")
        token = current_trace.set(ids)
        try:
            failed = self.send_each(ids)
        finally:
            current_trace.reset(token)
        if failed:
            raise SystemExit(1)

    def send_each(self, ids):
        failed = False
        for identifier in PROVIDER_IDS:
            provider = registered(identifier)
            if not provider.active:
                continue
            try:
                arrived, detail = provider.send_test(ids.trace_id)
            except Exception as error:
                arrived, detail = False, repr(error)
            failed |= not arrived
            mark = self.style.SUCCESS("arrived") if arrived else self.style.ERROR("NOT arrived")
            self.stdout.write(f"  {identifier}: {mark}: {detail}")
        return failed
