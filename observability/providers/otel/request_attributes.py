"""The attributes OpenTelemetry's WSGI instrumentation gives a server span at its start, collected
the way its collect_request_attributes does under the default conventions, for the lean path of
server_span.py."""

import contextlib
import re
import wsgiref.util

from opentelemetry.instrumentation._semconv import _StabilityMode
from opentelemetry.instrumentation.wsgi import _apply_user_agent_attributes
from opentelemetry.semconv._incubating.attributes.http_attributes import (
    HTTP_FLAVOR,
    HTTP_HOST,
    HTTP_METHOD,
    HTTP_SCHEME,
    HTTP_SERVER_NAME,
    HTTP_TARGET,
    HTTP_URL,
)
from opentelemetry.semconv._incubating.attributes.net_attributes import (
    NET_HOST_NAME,
    NET_HOST_PORT,
    NET_PEER_IP,
    NET_PEER_NAME,
    NET_PEER_PORT,
)
from opentelemetry.util.http import redact_url, sanitize_method

# A path that wsgiref.util.request_uri's quote(path, safe="/;=,") leaves as it is: only what quote
# never escapes (letters, digits, _.-~) and the safe characters.
UNQUOTED_PATH = re.compile(r"[\w.~/;=,-]*", re.ASCII)


# A method -> sanitize_method's answer (sanitized_method), for so many methods at most.
_SANITIZED = {}
MAX_SANITIZED = 64


def sanitized_method(method):
    """sanitize_method(method), each method's answer kept: it reads the environment every time
    (OTEL_PYTHON_INSTRUMENTATION_HTTP_CAPTURE_ALL_METHODS), where asking for a variable that is
    not set raises and catches a KeyError in os.environ (10k instructions a request). Like the
    instrumentation's other settings, that variable counts as it is when a method is first seen."""
    answer = _SANITIZED.get(method)
    if answer is None:
        answer = sanitize_method(method)
        if len(_SANITIZED) < MAX_SANITIZED:  # clients' made-up methods are not all kept
            _SANITIZED[method] = answer
    return answer


def request_attributes(environ, method=None):
    """What the library's collect_request_attributes(environ) answers under the default
    conventions, in its order, without its two helper calls per attribute; `method` is the
    environ's method sanitized, when known."""
    result = {}
    if method is None:
        method = sanitized_method(environ.get("REQUEST_METHOD", "")).strip()
    if method:
        result[HTTP_METHOD] = method
    result[HTTP_SERVER_NAME] = environ.get("SERVER_NAME")
    if scheme := environ.get("wsgi.url_scheme"):
        result[HTTP_SCHEME] = scheme
    if host := environ.get("HTTP_HOST"):
        result[NET_HOST_NAME] = result[HTTP_HOST] = host
    if (port := environ.get("SERVER_PORT")) and (port := int(port)):
        result[NET_HOST_PORT] = port
    target = environ.get("RAW_URI")
    if target is None:
        target = environ.get("REQUEST_URI")
    if target:
        result[HTTP_TARGET] = target
    else:
        url = request_uri(environ)
        # redact_url changes nothing in a URL with no credentials and no query (and parses twice).
        result[HTTP_URL] = url if "@" not in url and "?" not in url else redact_url(url)
    if remote_addr := environ.get("REMOTE_ADDR"):
        result[NET_PEER_IP] = remote_addr
    if peer_port := environ.get("REMOTE_PORT"):
        with contextlib.suppress(ValueError, TypeError):
            result[NET_PEER_PORT] = int(peer_port)
    remote_host = environ.get("REMOTE_HOST")
    if remote_host and remote_host != remote_addr:
        result[NET_PEER_NAME] = remote_host
    if environ.get("HTTP_USER_AGENT"):
        _apply_user_agent_attributes(result, environ, _StabilityMode.DEFAULT)
    flavor = environ.get("SERVER_PROTOCOL", "")
    if flavor.upper().startswith("HTTP/"):
        flavor = flavor[len("HTTP/") :]
    if flavor:
        result[HTTP_FLAVOR] = flavor
    return result


def request_uri(environ):
    """wsgiref.util.request_uri(environ), without its imports and its two quote() calls where
    they would change nothing: a request with a Host header, no script name and a plain path
    (runserver's requests, which carry neither RAW_URI nor REQUEST_URI)."""
    host = environ.get("HTTP_HOST")
    path = environ.get("PATH_INFO", "")
    if not host or environ.get("SCRIPT_NAME") or not UNQUOTED_PATH.fullmatch(path):
        return wsgiref.util.request_uri(environ)
    # application_uri ends with quote("/"), then request_uri adds the path without its first "/".
    url = f"{environ['wsgi.url_scheme']}://{host}/{path[1:]}"
    query = environ.get("QUERY_STRING")
    return f"{url}?{query}" if query else url
