"""The abstract syntax tree of conditions: frozen dataclasses, each with its span.

A span is (start, end) character offsets into the condition text; the loader maps them to
file lines and columns. The tree is built by `engine.parser` and read by the checker and
the compiler.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Literal(Node):
    value: Any
    kind: str            # "number", "string", "bool", "date", "quantity"
    unit: str | None = None   # for quantities: the unit as written ("weeks", "mg MED")


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Path(Node):
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class BoolOp(Node):
    op: str                  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Compare(Node):
    op: str                  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    item: Node
    container: Node
    negated: bool = False


@dataclass(frozen=True)
class Arith(Node):
    op: str                  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]
    name_span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Quantifier(Node):
    kind: str                # "any" | "all" | "count"
    var: str
    source: Node
    body: Node
    var_span: Span = field(default=(0, 0), compare=False)


def unparse(node: Node) -> str:
    """Text for a node that parses back to the same tree (used by tests and traces)."""
    if isinstance(node, Literal):
        if node.kind == "string":
            return '"' + str(node.value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if node.kind == "bool":
            return "true" if node.value else "false"
        if node.kind == "date":
            return node.value.isoformat()
        if node.kind == "quantity":
            return f"{_num(node.value)} {node.unit}"
        return _num(node.value)
    if isinstance(node, ListLit):
        return "[" + ", ".join(unparse(i) for i in node.items) + "]"
    if isinstance(node, Path):
        return node.text
    if isinstance(node, Not):
        return f"not ({unparse(node.operand)})"
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(unparse(o) for o in node.operands) + ")"
    if isinstance(node, Compare):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, In):
        op = "not in" if node.negated else "in"
        return f"({unparse(node.item)} {op} {unparse(node.container)})"
    if isinstance(node, Arith):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, Neg):
        return f"-({unparse(node.operand)})"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(unparse(a) for a in node.args) + ")"
    if isinstance(node, Quantifier):
        return f"{node.kind}({node.var} in {unparse(node.source)}: {unparse(node.body)})"
    raise TypeError(f"unknown node {node!r}")


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)
