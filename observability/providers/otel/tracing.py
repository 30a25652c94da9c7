"""The process's one OpenTelemetry tracer, shared by the providers that export its spans: the otel
provider (OTLP) and X-Ray with the otel source (segments built from the same spans). A request is
traced once, with one sampling decision, whoever exports it.

The first provider to start sets it up, with its sampler (the otel provider's when it is on, since
it starts first; else X-Ray's rules); each adds its span processor."""

import os

from django.conf import settings

_state = {"pid": None, "provider": None}


def tracer_provider(sampler):
    """This process's TracerProvider, made (with `sampler`) and installed on first call: the global
    tracer provider, the propagators, Django's instrumentation, the database drivers'
    (unless database spans are off), and its shutdown at exit."""
    if _state["pid"] == os.getpid():
        return _state["provider"]
    from opentelemetry import trace

    from observability.background import on_exit
    from observability.conf import conf

    provider = build_tracer_provider(sampler)
    install_propagators()
    trace.set_tracer_provider(provider)
    # Its last spans leave when the process stops, while the other senders send theirs.
    on_exit(provider.shutdown)
    instrument_django(provider)
    if conf.database_spans_on():
        from observability.providers.otel.databases import instrument_databases

        instrument_databases(provider)
    _state.update(pid=os.getpid(), provider=provider)
    return provider


def service_resource():
    """The resource of this process's spans and metrics: the service's name and its release."""
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource

    from observability.conf import conf

    resource = {SERVICE_NAME: conf.service_name}
    if conf.release:
        resource[SERVICE_VERSION] = conf.release
    return Resource.create(resource)


def build_tracer_provider(sampler, processor=None):
    from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
    from opentelemetry.sdk.trace import TracerProvider

    from observability.providers.otel.child_spans import lean_tracers

    # X-Ray-compatible trace ids: the same id names the request in every backend.
    provider = TracerProvider(
        resource=service_resource(),
        id_generator=AwsXRayIdGenerator(),
        sampler=sampler,
        shutdown_on_exit=False,  # at exit, beside the other senders (tracer_provider)
    )
    if processor is not None:
        provider.add_span_processor(processor)
    return lean_tracers(provider)


def install_propagators():
    """Incoming context from either header: X-Amzn-Trace-Id, or W3C traceparent (which wins)."""
    from opentelemetry import propagate

    from observability.providers.otel.propagation import RequestPropagator

    propagate.set_global_textmap(RequestPropagator())


def instrument_django(provider):
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    instrumentor = DjangoInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        return
    # The instrumentor configures its middleware and puts it first in settings.MIDDLEWARE; it
    # runs inside ObservabilityMiddleware instead (outer_middleware), fail-open like every
    # provider's, so MIDDLEWARE is left as settings.py wrote it.
    written = settings.MIDDLEWARE
    snapshot = list(written)
    # Its own metrics stay no-ops: request metrics are ours (metrics.py), by route template.
    instrumentor.instrument(tracer_provider=provider, meter_provider=NoOpMeterProvider())
    if isinstance(written, list):  # it inserts into the list itself
        written[:] = snapshot
    settings.MIDDLEWARE = written


def server_span_middleware():
    """The middleware that starts each request's span (outer_middleware of both providers;
    ObservabilityMiddleware runs it once)."""
    from observability.providers.otel.server_span import ServerSpanMiddleware

    return [ServerSpanMiddleware]


def send_test_span(processor, trace_id=None, attributes=None):
    """Ends one span named send-test (in the trace `trace_id` when given) through `processor`
    alone, then shuts the processor down, which sends it."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    provider = build_tracer_provider(ALWAYS_ON, processor)
    parent = None
    if trace_id:
        from observability.trace_ids import NO_PARENT

        # A parent that only carries the trace id, marked as made up (no segment names it).
        remote = trace.SpanContext(
            int(trace_id, 16),
            1,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            trace_state=trace.TraceState([NO_PARENT]),
        )
        parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
    tracer = provider.get_tracer("observability.send_test")
    with tracer.start_as_current_span("send-test", context=parent, attributes=attributes):
        pass
    provider.shutdown()
