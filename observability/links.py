"""Links from a trace id to where each backend shows it, where the settings allow building them."""

from urllib.parse import quote

from observability.conf import conf


def trace_links(ids):
    """{backend: url} for the trace `ids` (correlation.TraceIds)."""
    links = {}
    otel = conf.otel
    if conf.enabled("otel") and otel.get("honeycomb_team"):
        environment = otel.get("honeycomb_environment") or "production"
        links["honeycomb"] = (
            f"https://ui.honeycomb.io/{otel['honeycomb_team']}/environments/{environment}"
            f"/trace?trace_id={ids.trace_id}"
        )
    region = conf.cloudwatch.get("region")
    if region and conf.enabled("xray"):
        links["xray"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#xray:traces/{ids.xray_trace_id}"
        )
    if region and conf.enabled("cloudwatch"):
        group = quote(conf.cloudwatch["log_group"], safe="").replace("%", "$25")
        links["cloudwatch_logs"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logsV2:log-groups/log-group/{group}/log-events$3FfilterPattern$3D{ids.trace_id}"
        )
    return links
