"""The condition parser: saved parse tables, spans of nodes, parentheses."""
import dataclasses
from pathlib import Path

import pytest
from lark import Lark

from engine import ast, parser
from engine.paths import PACKAGE_DIR
from engine.yamlread import compose, construct

ROOT = Path(__file__).resolve().parent.parent


def test_saved_tables_are_those_of_the_grammar():
    """After a change to condition.lark, run: python -c "from engine.parser import write_tables; write_tables()"
    (lark numbers the states differently from run to run: the file is checked by its fingerprint
    of grammar, options and lark version, and by the next test)."""
    grammar = (PACKAGE_DIR / parser.GRAMMAR).read_text(encoding="utf-8")
    assert parser._saved_tables(grammar) is not None, "engine/condition_tables.json is stale: see this test's docstring"


def test_stale_tables_are_not_used():
    grammar = (PACKAGE_DIR / parser.GRAMMAR).read_text(encoding="utf-8")
    assert parser._saved_tables(grammar + "\n// changed\n") is None


def _conditions():
    texts = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("when", "test") and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        if "vocab" not in path.parts:
            walk(construct(*compose(path.read_text(encoding="utf-8"))))
    return sorted(set(texts))


def _dump(node):
    if isinstance(node, ast.Node):
        return (type(node).__name__,) + tuple((f.name, _dump(getattr(node, f.name))) for f in dataclasses.fields(node))
    if isinstance(node, tuple):
        return tuple(_dump(x) for x in node)
    return node


def test_parser_built_from_the_grammar_gives_the_same_trees_and_spans(monkeypatch):
    texts = _conditions()
    assert len(texts) > 200
    from_tables = [_dump(parser.parse(t)) for t in texts]
    monkeypatch.setattr(parser, "_saved_tables", lambda grammar: None)
    parser._parser.cache_clear()
    try:
        assert isinstance(parser._parser(), Lark)
        assert [_dump(parser.parse(t)) for t in texts] == from_tables
    finally:
        parser._parser.cache_clear()


@pytest.mark.parametrize("text, span", [
    ("a.b == 1", (0, 8)),
    ("(a or b) and c", (0, 14)),        # a node whose first part is parenthesized starts at the parenthesis
    ("c and (a or b)", (0, 14)),
    ("not (a)", (0, 7)),
    ("f(x, (y))", (0, 9)),
    ("[ (1) , 2 ]", (0, 11)),
    ("- 5 days", (0, 8)),
    ("x not in [\"a\"]", (0, 14)),
    ("count(m in medications: m.active) >= (2)", (0, 40)),
])
def test_spans_cover_keywords_and_brackets(text, span):
    assert parser.parse(text).span == span


def test_parenthesized_node_keeps_its_own_span():
    node = parser.parse("(a or b) and c")
    assert isinstance(node, ast.BoolOp) and node.op == "and"
    assert [o.span for o in node.operands] == [(1, 7), (13, 14)]
    inner = parser.parse(" ( (a) ) ")
    assert isinstance(inner, ast.Path) and inner.span == (4, 5)


def test_same_operators_flatten_through_parentheses():
    node = parser.parse("a and (b and c) and d")
    assert isinstance(node, ast.BoolOp) and [o.parts for o in node.operands] == [("a",), ("b",), ("c",), ("d",)]


@pytest.mark.parametrize("text, offset, words", [
    ("a ==", 4, "ends too early"),
    ("a = 1", 2, "use == to compare"),
    ("(a", 2, "ends too early"),
    ("a b", 2, "unexpected 'b'"),
    ("2020-13-01 < a", 0, "not a valid date"),
    ("f(x,)", 4, "unexpected ')'"),
])
def test_syntax_errors_point_at_the_offset(text, offset, words):
    with pytest.raises(parser.ParseFailure) as caught:
        parser.parse(text)
    assert caught.value.offset == offset and words in caught.value.message
