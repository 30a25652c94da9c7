"""SQL statements as they may leave the process: every literal value replaced by `?`.

The database spans carry each query's statement (OpenTelemetry's `db.statement`, X-Ray's
`sanitized_query`). Parameters never go with it, but a statement may hold values written into its
text: the ORM writes LIMIT numbers, hand-written SQL may quote a string. Before a statement leaves,
its string literals (quoted, E'' with backslashes, dollar-quoted) and numbers become `?` and its
comments are dropped; identifiers, quoted ones too, keywords and placeholders (`%s`, `%(name)s`,
`?`, `$1`) stay. A string left open runs to the end and goes whole. Statements repeat, so each
one's clean form is kept, up to a bound; this runs where spans and segments are exported, in the
background.
"""

import re

# The attribute and field names that hold a statement: OpenTelemetry's (old and new conventions)
# and X-Ray's.
STATEMENT_KEYS = frozenset({"db.statement", "db.query.text", "sanitized_query"})
PLACEHOLDER = "?"
CACHE_SIZE = 1024
MAX_CACHED = 16384

LITERALS = re.compile(
    r"""
    (?P<identifier>"(?:[^"]|"")*"|`[^`]*`)            # quoted identifiers stay
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))           # comments go
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$.*?(?:\$(?P=tag)\$|\Z))
    | (?P<escaped>(?<![\w$])[eE]'(?:[^'\\]|\\.|'')*(?:'|\Z))
    | (?P<string>'(?:[^']|'')*(?:'|\Z))
    | (?P<number>(?<![\w$])(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
    """,
    re.VERBOSE | re.DOTALL,
)

# statement -> its clean form, or _SAME when it holds no literal.
_clean = {}
_SAME = object()


def _replacement(match):
    kind = match.lastgroup
    if kind == "identifier":
        return match.group(0)
    if kind == "comment":
        return " "
    return PLACEHOLDER


def without_literals(statement):
    """`statement` with its literal values replaced by `?` and its comments dropped; the same
    object when it holds none. Anything that is not text is returned as it is."""
    if not isinstance(statement, str):
        return statement
    clean = _clean.get(statement)
    if clean is not None:
        return statement if clean is _SAME else clean
    clean = LITERALS.sub(_replacement, statement)
    if clean == statement:
        clean = statement
    if len(statement) <= MAX_CACHED:
        if len(_clean) >= CACHE_SIZE:
            _clean.clear()
        _clean[statement] = _SAME if clean is statement else clean
    return clean
