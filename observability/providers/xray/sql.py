"""The otel source's sql subsegments: a database span (OpenTelemetry's database instrumentation)
becomes the subsegment the SDK's database patching sends, with its sql block (database_type, url,
user, sanitized_query) and its name; the statement has lost its literal values to the scrubbing
by then (observability.sql)."""

# Attributes of a database span that its sql block (or its name) carries: SDK's and new ones.
DATABASE_ATTRIBUTES = frozenset(
    {
        "db.system", "db.system.name", "db.name", "db.namespace", "db.user", "db.statement",
        "db.query.text", "server.address", "server.port",
    }
)  # fmt: skip


def database_type(attributes):
    """The database system of a database span (as the SDK's database_type), else None."""
    return attributes.get("db.system") or attributes.get("db.system.name")


def sql_name(attributes, database):
    """A query's subsegment name: the database host, as the SDK's Django patching names it, else
    the database's name, else its type (SQLite has neither host nor name)."""
    return (
        attributes.get("net.peer.name")
        or attributes.get("server.address")
        or attributes.get("db.name")
        or attributes.get("db.namespace")
        or database
    )


def sql_block(attributes, database):
    """X-Ray's sql block from a database span: what the SDK's database patching sends, the
    statement (without its literal values: scrub_attributes) as sanitized_query."""
    sql = {"database_type": database}
    host = attributes.get("net.peer.name") or attributes.get("server.address")
    user = attributes.get("db.user")
    if host:
        port = attributes.get("net.peer.port") or attributes.get("server.port")
        name = attributes.get("db.name") or attributes.get("db.namespace") or ""
        login = f"{user}@" if user else ""
        sql["url"] = f"{database}://{login}{host}{f':{port}' if port else ''}/{name}"
    if database == "sqlite":  # the engine runs in the process: its version is known
        import sqlite3

        sql["database_version"] = sqlite3.sqlite_version
    if user:
        sql["user"] = user
    statement = attributes.get("db.statement", attributes.get("db.query.text"))
    if statement is not None:
        sql["sanitized_query"] = statement
    return sql
