"""Condition text -> AST. The one place that touches lark and its exceptions.

Input: the text of one condition. Output: an `engine.ast` node whose spans are offsets
into that text. Raises `ParseFailure` (offset + message); the loader turns it into a
`ConditionSyntaxError` at the right file line and column.
"""
from __future__ import annotations

import datetime as _dt
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .paths import PACKAGE_DIR

# What each terminal means to a rule author, for "expected ..." messages.
_TERMINAL_NAMES = {
    "NUMBER": "a number", "STRING": "a string", "DATE": "a date (YYYY-MM-DD)", "NAME": "a name",
    "UNIT": "a unit", "COMP_OP": "a comparison (== != < <= > >=)", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "COMMA": "','", "COLON": "':'", "DOT": "'.'", "ANY": "'any'", "ALL": "'all'", "COUNT": "'count'", "AND": "'and'",
    "OR": "'or'", "NOT": "'not'", "IN": "'in'", "TRUE": "'true'", "FALSE": "'false'",
    "$END": "the end of the condition",
}


class ParseFailure(Exception):
    """A syntax error at `offset` in the condition text."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark((PACKAGE_DIR / "condition.lark").read_text(encoding="utf-8"),
                parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _expected(names) -> str:
    readable = sorted({_TERMINAL_NAMES.get(n, n.lower()) for n in names})
    if len(readable) > 8:
        readable = readable[:8] + ["..."]
    return ", ".join(readable)


def parse(text: str) -> ast.Node:
    """Parse one condition into an AST, or raise ParseFailure."""
    if not text.strip():
        raise ParseFailure(0, "empty condition: expected an expression")
    try:
        tree = _parser().parse(text)
    except UnexpectedEOF as err:
        raise ParseFailure(len(text.rstrip()), f"the condition ends too early; expected {_expected(err.expected)}") from None
    except UnexpectedToken as err:
        token = err.token
        if token.type == "$END":
            raise ParseFailure(len(text.rstrip()),
                               f"the condition ends too early; expected {_expected(err.expected)}") from None
        raise ParseFailure(token.start_pos,
                           f"unexpected {token.value!r}; expected {_expected(err.expected)}") from None
    except UnexpectedCharacters as err:
        char = text[err.pos_in_stream]
        hint = " (use == to compare)" if char == "=" else ""
        hint = " (strings use double or single quotes)" if char in "`\u201c\u201d" else hint
        raise ParseFailure(err.pos_in_stream, f"unexpected character {char!r}{hint}") from None
    except UnexpectedInput as err:  # pragma: no cover - other lark input errors
        raise ParseFailure(getattr(err, "pos_in_stream", 0) or 0, str(err)) from None
    try:
        return _ToAst().transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, ParseFailure):
            raise err.orig_exc from None
        raise


def _span(meta) -> ast.Span:
    return (meta.start_pos, meta.end_pos)


def _tok_span(token: Token) -> ast.Span:
    return (token.start_pos, token.end_pos)


def _number(text: str):
    return float(text) if "." in text else int(text)


@v_args(meta=True)
class _ToAst(Transformer):
    """lark Tree -> engine.ast nodes (a separate pass, so every node has its position)."""

    def number(self, meta, children):
        return ast.Literal(_span(meta), _number(children[0]), "number")

    def quantity(self, meta, children):
        number, unit = children
        unit_text = " ".join(str(unit).split())
        return ast.Literal(_span(meta), _number(number), "quantity", unit_text)

    def string(self, meta, children):
        raw = str(children[0])[1:-1]
        value = _unescape(raw)
        return ast.Literal(_span(meta), value, "string")

    def date(self, meta, children):
        token = children[0]
        try:
            value = _dt.date.fromisoformat(str(token))
        except ValueError:
            raise ParseFailure(token.start_pos, f"{str(token)!r} is not a valid date") from None
        return ast.Literal(_span(meta), value, "date")

    def true(self, meta, children):
        return ast.Literal(_span(meta), True, "bool")

    def false(self, meta, children):
        return ast.Literal(_span(meta), False, "bool")

    def list(self, meta, children):
        items = tuple(c for c in children if c is not None)
        return ast.ListLit(_span(meta), items)

    def path(self, meta, children):
        return ast.Path(_span(meta), tuple(str(c) for c in children))

    def call(self, meta, children):
        name, *args = children
        return ast.Call(_span(meta), str(name), tuple(a for a in args if a is not None), _tok_span(name))

    def quantifier(self, meta, children):
        kind, var, source, body = children
        return ast.Quantifier(_span(meta), str(kind), str(var), source, body, _tok_span(var))

    def _flatten(self, op, meta, children):
        operands = []
        for child in children:
            if isinstance(child, ast.BoolOp) and child.op == op:
                operands.extend(child.operands)
            else:
                operands.append(child)
        return ast.BoolOp(_span(meta), op, tuple(operands))

    def or_op(self, meta, children):
        return self._flatten("or", meta, children)

    def and_op(self, meta, children):
        return self._flatten("and", meta, children)

    def not_op(self, meta, children):
        return ast.Not(_span(meta), children[0])

    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(_span(meta), str(op), left, right)

    def in_op(self, meta, children):
        return ast.In(_span(meta), children[0], children[1], False)

    def not_in_op(self, meta, children):
        return ast.In(_span(meta), children[0], children[1], True)

    def _arith(self, meta, children):
        left, op, right = children
        return ast.Arith(_span(meta), str(op), left, right)

    add = sub = mul = div = _arith

    def neg(self, meta, children):
        return ast.Neg(_span(meta), children[1])


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unescape(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(_ESCAPES.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
