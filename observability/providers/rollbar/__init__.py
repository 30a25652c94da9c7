"""Rollbar: its own Django middleware reports unhandled exceptions with their request, from the
exception path only (middleware.py); settings come from OBSERVABILITY into the ROLLBAR setting
that middleware reads."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning

from observability.conf import conf
from observability.providers.base import Provider, captured


class RollbarProvider(Provider):
    """Reports unhandled exceptions and messages to Rollbar."""

    identifier = "rollbar"
    title = "Rollbar"

    def __init__(self):
        super().__init__()
        from observability.providers.rollbar.sender import RollbarSender

        self.sender = RollbarSender()

    @classmethod
    def django_settings(cls, options, root, release=None):
        """ROLLBAR, the setting Rollbar's Django middleware reads, made from our options when
        settings.py is read (observability.configuration), never written at run time."""
        rollbar = {
            "access_token": options["access_token"],
            "environment": options["environment"],
            "root": str(root),
            # "blocking" only in RollbarSender's own thread: requests just queue the item.
            "handler": "blocking",
            "timeout": 2,
            "patch_debugview": False,
            # Rollbar's middleware initialises again with these same settings.
            "suppress_reinit_warning": True,
            "allow_logging_basic_config": False,
            "capture_ip": "anonymize",
            # Client errors (4xx) are the client's, not the service's: not reported.
            "exception_level_filters": [
                ("django.http.Http404", "ignored"),
                ("django.core.exceptions.PermissionDenied", "ignored"),
                ("django.core.exceptions.BadRequest", "ignored"),
                ("django.core.exceptions.SuspiciousOperation", "ignored"),
            ],
        }
        if release:
            rollbar["code_version"] = release
        if options["endpoint"]:
            rollbar["endpoint"] = options["endpoint"].rstrip("/") + "/"
        return rollbar

    def start(self):
        import rollbar
        from rollbar.lib import events

        options = dict(
            getattr(settings, "ROLLBAR", None)
            or self.django_settings(self.options, settings.BASE_DIR, release=conf.release)
        )
        rollbar.init(options.pop("access_token"), options.pop("environment"), **options)
        # In this order: enrich and scrub, then hand over to the background sender.
        events.add_payload_handler(enrich_payload, pos=0)
        events.add_payload_handler(self.sender.take, pos=1)

    def middleware(self):
        from observability.providers.rollbar.middleware import RollbarExceptionMiddleware

        return [RollbarExceptionMiddleware]

    def checks(self):
        messages = []
        if not self.options["access_token"]:
            messages.append(
                Warning(
                    "Rollbar is on but ROLLBAR_ACCESS_TOKEN is not set.",
                    hint="Use a project's post_server_item token from Rollbar's settings.",
                    id="observability.W040",
                )
            )
        endpoint = self.options["endpoint"]
        if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
            messages.append(
                Warning(
                    f"ROLLBAR_ENDPOINT {endpoint!r} is not an http(s) URL.",
                    hint="Leave it unset for Rollbar's API, or give the API base, e.g. "
                    "https://rollbar.example.com/api/1/.",
                    id="observability.W041",
                )
            )
        return messages

    def send_test(self, trace_id=None):
        """Report one message and wait for the API's answer."""
        import rollbar

        from observability.providers.rollbar.sender import send_now

        with captured("rollbar") as records:
            send_now(lambda: rollbar.report_message("observability send-test", "info"))
        if records.records:
            return False, f"not accepted by {rollbar.SETTINGS['endpoint']}: {records.reason()}"
        return True, f"accepted by {rollbar.SETTINGS['endpoint']}"


def enrich_payload(payload, **kwargs):
    """Every item carries the request's trace id (both forms) and links to the trace; its data
    is scrubbed. The access token leaves the body: Rollbar reads it from the
    X-Rollbar-Access-Token header, where the SDK puts it too."""
    from observability.correlation import current_trace
    from observability.links import trace_links
    from observability.scrubbing import scrub

    data = payload.get("data", {})
    ids = current_trace.get()
    if ids is not None:
        custom = data.setdefault("custom", {})
        custom.update(trace_id=ids.trace_id, xray_trace_id=ids.xray_trace_id)
        custom["trace_links"] = trace_links(ids)
    payload.pop("access_token", None)
    payload["data"] = scrub(data)
    return payload
