"""Statements leave without their literal values: every string and number becomes `?`, comments
go, and what names or binds (identifiers, keywords, placeholders) stays. The scrubbing policy
applies it to the statements of spans and segments wherever they are scrubbed."""

import random
import re

import pytest

from observability.scrubbing import scrub, scrub_attributes
from observability.sql import ALTERNATIVES, LITERALS, _replacement, without_literals


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            'SELECT "t"."a" FROM "t" WHERE "t"."id" = %s LIMIT 21',
            'SELECT "t"."a" FROM "t" WHERE "t"."id" = %s LIMIT ?',
        ),
        (
            "SELECT * FROM t WHERE name = 'andrewbrown' AND n > -12.5e3",
            "SELECT * FROM t WHERE name = ? AND n > -?",
        ),
        ("SELECT 'it''s', E'a\\'b', $$x$$, $tag$ y $tag$, .5, 0xFF", "SELECT ?, ?, ?, ?, ?, ?"),
        ('SELECT col1, t2.c3, "x 9" FROM t2 AS r0', 'SELECT col1, t2.c3, "x 9" FROM t2 AS r0'),
        ("SELECT $1, %(name)s, ?, x::int4 FROM t", "SELECT $1, %(name)s, ?, x::int4 FROM t"),
        ("SELECT 1 -- 'note' 42\nFROM t /* 7 */", "SELECT ?  \nFROM t  "),
        ("INSERT INTO t VALUES ('never closed, 42)", "INSERT INTO t VALUES (?"),
        ("SELECT $$ never closed 42", "SELECT ?"),
    ],
    ids=[
        "orm-limit",
        "string-and-number",
        "quotes",
        "identifiers",
        "placeholders",
        "comments",
        "open-string",
        "open-dollar",
    ],
)
def test_every_literal_becomes_a_placeholder(statement, expected):
    assert without_literals(statement) == expected
    assert without_literals(statement) == expected  # the kept verdict answers the same


def test_a_statement_without_literals_comes_back_as_it_is():
    statement = "".join(["SELECT a FROM t ", "WHERE b = %s"])  # not an interned constant
    assert without_literals(statement) is statement
    assert without_literals(statement) is statement
    assert without_literals(None) is None


def test_span_attributes_and_segments_carry_statements_without_literals():
    attributes = {"db.system": "sqlite", "db.statement": "SELECT 'SECRETvalue' LIMIT 3"}
    assert scrub_attributes(attributes) == {
        "db.system": "sqlite",
        "db.statement": "SELECT ? LIMIT ?",
    }
    assert scrub_attributes({"db.query.text": "SELECT 7"}) == {"db.query.text": "SELECT ?"}
    segment = {"subsegments": [{"name": "execute", "sql": {"sanitized_query": "SELECT 'x', 5"}}]}
    assert scrub(segment)["subsegments"][0]["sql"]["sanitized_query"] == "SELECT ?, ?"
    assert segment["subsegments"][0]["sql"]["sanitized_query"] == "SELECT 'x', 5"  # untouched
    # Only statements: the same text elsewhere is a message, not SQL.
    assert scrub_attributes({"app.note": "SELECT 'x'"}) == {"app.note": "SELECT 'x'"}


def test_the_alternatives_tried_only_where_one_can_begin_match_as_everywhere():
    everywhere = re.compile(ALTERNATIVES, re.VERBOSE | re.DOTALL)
    pieces = [
        "SELECT", " ", "e", "E", "'", "''", "\\", '"', '""', "`", "$", "$t$", "--", "/*", "*/",
        "\n", "0x1F", "1", "2.5", ".5", "e3", "-", "+", "a_1", "%s", "?", "(", ")", ",", "=",
    ]  # fmt: skip
    generator = random.Random(15)
    statements = ["".join(generator.choices(pieces, k=40)) for _ in range(2000)]
    for statement in statements:
        assert LITERALS.sub(_replacement, statement) == everywhere.sub(_replacement, statement)
