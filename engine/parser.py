"""Condition text -> AST. The one place that touches lark and its exceptions.

Input: the text of one condition. Output: an `engine.ast` node whose spans are offsets
into that text. Raises `ParseFailure` (offset + message); the loader turns it into a
`ConditionSyntaxError` at the right file line and column.

The LALR tables of the grammar are saved in `condition_tables.json` (`write_tables`), so that
a process does not build them again; the AST is built as the parser reduces, without a tree.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

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


# The parser's options. Every token is kept so that a node's span covers its keywords and
# brackets; the transformer runs while parsing (no parse tree is built).
_OPTIONS = {"parser": "lalr", "keep_all_tokens": True, "maybe_placeholders": True}
GRAMMAR = "condition.lark"
TABLES = "condition_tables.json"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, its tables read from `condition_tables.json` when they were made from
    this very grammar with this lark version; otherwise built from the grammar (slower)."""
    grammar = (PACKAGE_DIR / GRAMMAR).read_text(encoding="utf-8")
    tables = _saved_tables(grammar)
    if tables is not None:
        try:
            return Lark._load_from_dict(tables["data"], tables["memo"], transformer=_ToAst())
        except Exception:  # pragma: no cover - tables this lark cannot read: build them instead
            pass
    return Lark(grammar, **_OPTIONS, transformer=_ToAst())


def _fingerprint(grammar: str) -> str:
    key = json.dumps([grammar, _OPTIONS, lark.__version__], sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _int_keys(pairs):
    """JSON object -> dict, with the integer keys of lark's tables (states, memo) restored;
    terminal and rule names are never all digits."""
    return {int(k) if k.isdigit() else k: v for k, v in pairs}


def _saved_tables(grammar: str) -> dict | None:
    """The parse tables saved by `write_tables`, or None when absent or made from another
    grammar, other options or another lark version."""
    try:
        text = (PACKAGE_DIR / TABLES).read_text(encoding="utf-8")
        saved = json.loads(text, object_pairs_hook=_int_keys)
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("fingerprint") != _fingerprint(grammar):
        return None
    return saved


def tables_document() -> str:
    """The JSON text of the parse tables for the shipped grammar (what `write_tables` saves)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    grammar = (PACKAGE_DIR / GRAMMAR).read_text(encoding="utf-8")
    data, memo = Lark(grammar, **_OPTIONS).memo_serialize([TerminalDef, Rule])
    document = {"fingerprint": _fingerprint(grammar),
                "note": f"LALR tables of {GRAMMAR}, made by engine.parser.write_tables(); do not edit",
                "data": data, "memo": memo}
    return json.dumps(document, sort_keys=True, indent=None, separators=(",", ":")) + "\n"


def write_tables() -> Path:
    """Save the parse tables next to the grammar, so that loading rules skips building them."""
    path = PACKAGE_DIR / TABLES
    path.write_text(tables_document(), encoding="utf-8")
    _parser.cache_clear()
    return path


def _expected(names) -> str:
    readable = sorted({_TERMINAL_NAMES.get(n, n.lower()) for n in names})
    if len(readable) > 8:
        readable = readable[:8] + ["..."]
    return ", ".join(readable)


# Conditions nest a few levels (the shipped rules: at most 9); the checker and the compiler
# walk the tree recursively, so a deeper one is refused here rather than exhaust the stack.
MAX_DEPTH = 64


def _too_deep(node) -> ast.Node | None:
    """The node nested deeper than MAX_DEPTH that starts first in the text, found without
    recursion; None if there is none."""
    stack = [(node, 1)]
    first = None
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            if first is None or node.span[0] < first.span[0]:
                first = node
            continue
        for value in vars(node).values():
            if isinstance(value, ast.Node):
                stack.append((value, depth + 1))
            elif isinstance(value, tuple):
                stack.extend((item, depth + 1) for item in value if isinstance(item, ast.Node))
    return first


def parse(text: str) -> ast.Node:
    """Parse one condition into an AST, or raise ParseFailure."""
    if not text.strip():
        raise ParseFailure(0, "empty condition: expected an expression")
    try:
        tree = _node(_parser().parse(text))
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
    except _OutOfRange as err:
        raise ParseFailure(err.offset, f"a number of more than {MAX_DIGITS} characters") from None
    deep = _too_deep(tree)
    if deep is not None:
        raise ParseFailure(deep.span[0], f"the condition nests more than {MAX_DEPTH} levels deep")
    return tree


class _Paren:
    """An expression in parentheses: the node, and the span of the parentheses around it.

    A node whose first (or last) part is parenthesized starts (or ends) at the parenthesis,
    as with lark's position propagation; the parenthesized node keeps its own span."""

    __slots__ = ("node", "start", "end")

    def __init__(self, node, start: int, end: int):
        self.node, self.start, self.end = node, start, end


def _node(child):
    return child.node if type(child) is _Paren else child


def _start(child) -> int:
    if type(child) is _Paren:
        return child.start
    return child.start_pos if isinstance(child, Token) else child.span[0]


def _end(child) -> int:
    if type(child) is _Paren:
        return child.end
    return child.end_pos if isinstance(child, Token) else child.span[1]


def _span(children) -> ast.Span:
    """From the start of the first part to the end of the last (keywords and brackets included)."""
    first = next(c for c in children if c is not None)
    last = next(c for c in reversed(children) if c is not None)
    return (_start(first), _end(last))


def _tok_span(token: Token) -> ast.Span:
    return (token.start_pos, token.end_pos)


def _operands(children) -> list:
    """The expressions among a rule's parts (keywords, brackets and empty placeholders dropped)."""
    return [_node(c) for c in children if c is not None and not isinstance(c, Token)]


MAX_DIGITS = 20     # a longer number is no dose, score or duration a rule can mean


class _OutOfRange(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def _number(token):
    text = str(token)
    if len(text) > MAX_DIGITS:
        raise _OutOfRange(token.start_pos)
    return float(text) if "." in text else int(text)


class _ToAst(Transformer):
    """Rule matches -> engine.ast nodes, called by the parser as it reduces (every token kept)."""

    def number(self, children):
        token = children[0]
        return ast.Literal(_tok_span(token), _number(token), "number")

    def quantity(self, children):
        number, unit = children
        unit_text = " ".join(str(unit).split())
        return ast.Literal(_span(children), _number(number), "quantity", unit_text)

    def string(self, children):
        token = children[0]
        return ast.Literal(_tok_span(token), _unescape(str(token)[1:-1]), "string")

    def date(self, children):
        token = children[0]
        try:
            value = _dt.date.fromisoformat(str(token))
        except ValueError:
            raise ParseFailure(token.start_pos, f"{str(token)!r} is not a valid date") from None
        return ast.Literal(_tok_span(token), value, "date")

    def true(self, children):
        return ast.Literal(_span(children), True, "bool")

    def false(self, children):
        return ast.Literal(_span(children), False, "bool")

    def atom(self, children):
        """`( expr )`: the expression, with the span of its parentheses."""
        return _Paren(_node(children[1]), _start(children[0]), _end(children[-1]))

    def list(self, children):
        return ast.ListLit(_span(children), tuple(_operands(children)))

    def path(self, children):
        return ast.Path(_span(children), tuple(str(c) for c in children if c.type == "NAME"))

    def call(self, children):
        name = children[0]
        return ast.Call(_span(children), str(name), tuple(_operands(children[1:])), _tok_span(name))

    def quantifier(self, children):
        kind, _, var, *_ = children
        source, body = _operands(children)
        return ast.Quantifier(_span(children), str(kind), str(var), source, body, _tok_span(var))

    def _flatten(self, op, children):
        operands = []
        for child in _operands(children):
            if isinstance(child, ast.BoolOp) and child.op == op:
                operands.extend(child.operands)
            else:
                operands.append(child)
        return ast.BoolOp(_span(children), op, tuple(operands))

    def or_op(self, children):
        return self._flatten("or", children)

    def and_op(self, children):
        return self._flatten("and", children)

    def not_op(self, children):
        return ast.Not(_span(children), _node(children[-1]))

    def compare(self, children):
        left, op, right = children
        return ast.Compare(_span(children), str(op), _node(left), _node(right))

    def in_op(self, children):
        return ast.In(_span(children), _node(children[0]), _node(children[-1]), False)

    def not_in_op(self, children):
        return ast.In(_span(children), _node(children[0]), _node(children[-1]), True)

    def _arith(self, children):
        left, op, right = children
        return ast.Arith(_span(children), str(op), _node(left), _node(right))

    add = sub = mul = div = _arith

    def neg(self, children):
        return ast.Neg(_span(children), _node(children[1]))


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

