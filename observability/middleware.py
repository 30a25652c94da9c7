"""The one middleware settings put in MIDDLEWARE: it chains the enabled providers' own middleware,
built once at start-up, and keeps a failing provider from failing the request."""

from django.core.exceptions import MiddlewareNotUsed

from observability.correlation import TraceCorrelationMiddleware
from observability.metrics import request_metrics_middleware
from observability.problems import problems
from observability.providers.registry import active_providers


class ResponseKeeper:
    """The inner part of the chain below one provider: remembers the response it produced, so a
    provider failing after it can be stepped over without running the view twice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        request.__dict__.setdefault("_observability_responses", {})[id(self)] = response
        return response

    def response_for(self, request):
        return request.__dict__.get("_observability_responses", {}).get(id(self))


class FailOpen:
    """One provider's middleware; an exception inside it is logged (rate-limited) and swallowed."""

    def __init__(self, factory, get_response):
        self.name = getattr(factory, "__qualname__", repr(factory))
        self.inner = ResponseKeeper(get_response)
        self.layer = factory(self.inner)
        # A middleware with hooks only (no __call__) takes no place in the chain of calls.
        self.in_chain = callable(self.layer)

    def __call__(self, request):
        try:
            return self.layer(request)
        except Exception:
            problems.warn((self.name, "call"), "observability: %s failed", self.name, exc_info=True)
            response = self.inner.response_for(request)
            return response if response is not None else self.inner(request)

    def has(self, name):
        return getattr(self.layer, name, None) is not None

    def hook(self, name, *args):
        method = getattr(self.layer, name, None)
        if method is None:
            return None
        try:
            return method(*args)
        except Exception:
            problems.warn(
                (self.name, name), "observability: %s.%s failed", self.name, name, exc_info=True
            )
            return None


class ObservabilityMiddleware:
    """Composes the middleware of the providers that are on and working; with none, Django drops
    it from the chain (MiddlewareNotUsed), so telemetry that is off costs nothing per request."""

    def __init__(self, get_response):
        active = active_providers()
        # Once each: the otel provider and X-Ray's otel source share the request's span.
        factories = list(dict.fromkeys(f for p in active for f in p.outer_middleware()))
        if active:
            # Then the request's one trace, handed to every provider below it.
            factories.append(TraceCorrelationMiddleware)
        factories += [factory for provider in active for factory in provider.middleware()]
        # Outermost, so that a request's latency includes what telemetry costs it.
        metrics = request_metrics_middleware(active)
        if metrics is not None:
            factories.insert(0, metrics)
        self.layers = []
        handler = get_response
        for factory in reversed(factories):
            try:
                layer = FailOpen(factory, handler)
            except MiddlewareNotUsed:
                continue
            except Exception:
                problems.warn(
                    (factory, "init"), "observability: %r failed to start", factory, exc_info=True
                )
                continue
            self.layers.insert(0, layer)
            if layer.in_chain:
                handler = layer
        if not self.layers:
            raise MiddlewareNotUsed
        self.handler = handler
        # The layers with each hook, found once rather than looked for on every request.
        self.view_layers = [layer for layer in self.layers if layer.has("process_view")]
        self.exception_layers = [
            layer for layer in reversed(self.layers) if layer.has("process_exception")
        ]

    def __call__(self, request):
        return self.handler(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for layer in self.view_layers:
            response = layer.hook("process_view", request, view_func, view_args, view_kwargs)
            if response is not None:
                return response
        return None

    def process_exception(self, request, exception):
        for layer in self.exception_layers:
            response = layer.hook("process_exception", request, exception)
            if response is not None:
                return response
        return None
