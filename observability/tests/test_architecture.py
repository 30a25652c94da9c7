"""The house's rules, checked: providers import the core and the core never imports a provider
(it reaches them only through the registry, by dotted path); no import cycles; nothing in
observability reads the environment but the settings function; and the watchtower internals the
CloudWatch handler relies on are still there."""

import ast
import inspect
from pathlib import Path

import watchtower

PACKAGE = Path(__file__).resolve().parents[1]


def modules():
    """{dotted name: parsed tree} of every module of observability but its tests."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "tests" in relative.parts:
            continue
        name = ".".join(relative.parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text())
    return found


def imports(tree, top_level_only=False):
    """The observability modules a tree imports (at its top level only, or anywhere)."""
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("observability"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("observability")}
    return names


def test_the_core_never_imports_a_provider():
    allowed = {"observability.providers.registry"}
    offences = {
        name: sorted(
            imported
            for imported in imports(tree)
            if imported.startswith("observability.providers") and imported not in allowed
        )
        for name, tree in modules().items()
        if not name.startswith("observability.providers")
    }
    assert {name: found for name, found in offences.items() if found} == {}


def test_no_import_cycles():
    graph = {name: imports(tree, top_level_only=True) for name, tree in modules().items()}

    def visit(name, path):
        if name in path:
            raise AssertionError(" -> ".join([*path[path.index(name) :], name]))
        for imported in graph.get(name, ()):
            visit(imported, [*path, name])

    for name in graph:
        visit(name, [])


def test_only_the_settings_function_reads_the_environment():
    readers = sorted(
        name
        for name, tree in modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
        and isinstance(node.value, ast.Name) and node.value.id == "os"
        and not name.endswith("providers.xray")  # drops a malformed daemon address for the SDK
    )  # fmt: skip
    assert readers == []


def test_watchtower_still_has_what_the_cloudwatch_handler_relies_on():
    handler = watchtower.CloudWatchLogHandler
    for method in ("_get_stream_name", "_size", "_truncate", "_submit_batch", "_ensure_log_group"):
        assert callable(getattr(handler, method, None)), method
    assert isinstance(handler.EXTRA_MSG_PAYLOAD_SIZE, int)
    parameters = inspect.signature(handler.__init__).parameters
    for name in ("log_group_name", "log_stream_name", "boto3_client", "send_interval"):
        assert name in parameters, name
    assert list(inspect.signature(handler._submit_batch).parameters)[1:3] == [
        "batch",
        "log_stream_name",
    ]
    source = inspect.getsource(handler)
    for attribute in (
        "sequence_tokens", "creating_log_stream", "shutting_down", "max_message_size",
        "max_batch_count", "max_batch_size",
    ):  # fmt: skip
        assert f"self.{attribute}" in source, attribute
