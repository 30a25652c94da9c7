"""Sampling by X-Ray's rules for the spans of the `otel` source, when X-Ray is on without the
otel provider: the rules file's rule (aws/json/xray.json), applied in the process by the X-Ray
SDK's own rule matching and reservoir, so a request is sampled exactly as the SDK would sample it.
(With the otel provider on too, its sampler decides for both, as it always has.)"""

from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import get_current_span


class XRayRulesSampler(Sampler):
    """Samples a new trace when the SDK's LocalSampler would (host, method and path against the
    rules, then the rule's reservoir and rate)."""

    def __init__(self, rules, service):
        from aws_xray_sdk.core.sampling.local.sampler import LocalSampler

        self.sampler = LocalSampler(rules)
        self.service = service

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
        trace_state=None,
    ):  # fmt: skip
        attributes = attributes or {}
        target = attributes.get("http.target") or "/"
        request = {
            "host": attributes.get("http.host"),
            "method": attributes.get("http.method"),
            "path": target.partition("?")[0],
            "service": self.service,
        }
        parent = get_current_span(parent_context).get_span_context()
        state = parent.trace_state if parent.is_valid else None
        if self.sampler.should_trace(request):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)
        return SamplingResult(Decision.DROP, None, state)

    def get_description(self):
        return "XRayRulesSampler"
