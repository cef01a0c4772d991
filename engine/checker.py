"""Static checks of a condition against the case schema and the vocabularies.

Input: an AST and the vocabularies. Output: the type of every node (for the compiler) and a
list of `Problem`s (span, code, message, hint); an empty list means the condition is sound.
Checks: names of case fields, finding concepts, drug classes and other vocabulary values,
functions and their arguments, types (a string is never compared with a number) and units
(weeks are never compared with mg). The `reviewer` part of a case can never be read.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import ast
from . import types as T
from .functions import FUNCTIONS, Mismatch
from .vocab import Vocabularies


@dataclass
class Problem:
    span: ast.Span
    code: str
    message: str
    hint: str | None = None


class _Stop(Exception):
    """Raised to abandon a subtree after its problem is recorded."""


def _suggest(name: str, options) -> str | None:
    close = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Checker:
    def __init__(self, vocab: Vocabularies):
        self.vocab = vocab
        self.roots = T.root_types()
        self.types: dict[int, T.Type] = {}
        self.problems: list[Problem] = []

    # -- entry point -------------------------------------------------------------------
    def check_condition(self, node: ast.Node) -> T.Type | None:
        """Check a whole condition; it must be a truth value."""
        try:
            t = self.check(node, {})
        except _Stop:
            return None
        if t.kind not in ("bool", "any"):
            self.problems.append(Problem(node.span, "type_error",
                                         f"a condition must be true or false, but this is {t.describe()}"))
            return None
        return t

    def check_expression(self, node: ast.Node) -> T.Type | None:
        """Check an expression of any type (for `compile_expression`)."""
        try:
            return self.check(node, {})
        except _Stop:
            return None

    def fail(self, node_or_span, code, message, hint=None):
        span = node_or_span if isinstance(node_or_span, tuple) else node_or_span.span
        self.problems.append(Problem(span, code, message, hint))
        raise _Stop

    def check(self, node: ast.Node, scope: dict[str, T.Type]) -> T.Type:
        method = getattr(self, "check_" + type(node).__name__)
        t = method(node, scope)
        self.types[id(node)] = t
        return t

    # -- leaves ------------------------------------------------------------------------
    def check_Literal(self, node, scope):
        if node.kind == "number":
            return T.NUMBER
        if node.kind == "quantity":
            dim, _ = T.UNITS[node.unit]
            return T.number(dim)
        return {"string": T.STRING, "bool": T.BOOL, "date": T.DATE}[node.kind]

    def check_ListLit(self, node, scope):
        if not node.items:
            return T.list_of(T.ANY)
        first = self.check(node.items[0], scope)
        for item in node.items[1:]:
            t = self.check(item, scope)
            if not first.same_kind(t):
                self.fail(item, "type_error", f"list items must all be {first.describe()}, but this is {t.describe()}")
        return T.list_of(first)

    def check_Path(self, node, scope):
        head, *rest = node.parts
        if head in scope:
            t = scope[head]
        elif head in self.roots:
            t = self.roots[head]
        elif head in T.FORBIDDEN_ROOTS:
            self.fail(node, "forbidden_field", f"`{head}` cannot be read by a rule: {T.FORBIDDEN_ROOTS[head]}")
        else:
            names = set(self.roots) | set(scope)
            self.fail(node, "unknown_field", f"unknown name `{head}`; a path starts with one of: "
                      + ", ".join(sorted(names)), _suggest(head, names))
        walked = head
        for part in rest:
            if t.kind == "findings":
                concepts = self.vocab.findings
                if part not in concepts:
                    self.fail(node, "unknown_concept", f"`{part}` is not a finding concept of the vocabulary "
                              "(rules/vocab/findings.yaml)", _suggest(part, concepts))
                t = T.BOOL
            elif t.kind == "object":
                next_t = T.field_type(t, part)
                if next_t is not None and next_t.kind == "findings":
                    self.fail(node, "forbidden_field", f"read findings as findings.<concept>: request-level findings "
                              "already override case-level ones there")
                if next_t is None:
                    options = [n for n in T.field_names(t) if n not in ("evidence", "warnings")]
                    self.fail(node, "unknown_field", f"`{walked}` has no field `{part}`; its fields are: "
                              + ", ".join(options), _suggest(part, options))
                t = next_t
            elif t.kind == "list":
                self.fail(node, "type_error", f"`{walked}` is a list: read its elements with any(), all() or count()")
            else:
                self.fail(node, "type_error", f"`{walked}` is {t.describe()} and has no field `{part}`")
            walked += "." + part
        if t.kind == "findings":
            self.fail(node, "type_error", "name a finding concept: findings.<concept>")
        return t

    # -- logic -------------------------------------------------------------------------
    def _want_bool(self, node, scope, what):
        t = self.check(node, scope)
        if t.kind not in ("bool", "any"):
            self.fail(node, "type_error", f"{what} needs true/false operands, but this is {t.describe()}")
        return t

    def check_Not(self, node, scope):
        self._want_bool(node.operand, scope, "`not`")
        return T.BOOL

    def check_BoolOp(self, node, scope):
        for operand in node.operands:
            self._want_bool(operand, scope, f"`{node.op}`")
        return T.BOOL

    def _vocab_check(self, typed: T.Type, literal: ast.Node):
        """A string literal compared with a vocabulary-typed value must be in that vocabulary."""
        if not (isinstance(literal, ast.Literal) and literal.kind == "string"):
            return
        value = literal.value
        if typed.enum is not None and value not in typed.enum:
            self.fail(literal, "unknown_value", f"{value!r} is not one of: " + ", ".join(sorted(typed.enum)),
                      _suggest(value, typed.enum))
        if typed.vocab:
            ids = self.vocab.ids(typed.vocab)
            if value not in ids:
                label = {"drug_class": "drug class", "generic": "generic drug name", "diagnosis_tag": "diagnosis tag",
                         "body_part": "body part", "modality": "modality"}.get(typed.vocab, typed.vocab)
                self.fail(literal, "unknown_value", f"{value!r} is not a known {label} (see rules/vocab/)",
                          _suggest(value, ids))

    def check_Compare(self, node, scope):
        left = self.check(node.left, scope)
        right = self.check(node.right, scope)
        if not left.same_kind(right):
            code = "unit_error" if left.kind == right.kind == "number" else "type_error"
            self.fail(node, code, f"cannot compare {left.describe()} with {right.describe()}")
        if node.op not in ("==", "!=") and left.kind not in ("number", "date", "any"):
            self.fail(node, "type_error", f"`{node.op}` orders numbers or dates, not {left.describe()}")
        if left.kind == "string":
            self._vocab_check(left, node.right)
            self._vocab_check(right, node.left)
        return T.BOOL

    def check_In(self, node, scope):
        item = self.check(node.item, scope)
        container = self.check(node.container, scope)
        if container.kind == "string":
            if item.kind not in ("string", "any"):
                self.fail(node, "type_error", f"`in` a string looks for a string, not {item.describe()}")
            return T.BOOL
        if container.kind != "list":
            self.fail(node.container, "type_error", f"`in` needs a list or a string on its right, not {container.describe()}")
        elem = container.elem or T.ANY
        if not item.same_kind(elem):
            code = "unit_error" if item.kind == elem.kind == "number" else "type_error"
            self.fail(node, code, f"cannot look for {item.describe()} in {container.describe()}")
        if elem.kind == "string":
            self._vocab_check(elem, node.item)
        if item.kind == "string" and isinstance(node.container, ast.ListLit):
            for literal in node.container.items:
                self._vocab_check(item, literal)
        return T.BOOL

    # -- arithmetic --------------------------------------------------------------------
    def check_Arith(self, node, scope):
        left = self.check(node.left, scope)
        right = self.check(node.right, scope)
        op = node.op
        if "any" in (left.kind, right.kind):
            return T.ANY
        if left.kind == "date" or right.kind == "date":
            if op == "-" and left.kind == right.kind == "date":
                return T.number("time")
            if op in "+-" and left.kind == "date" and right.kind == "number" and right.dim == "time":
                return T.DATE
            if op == "+" and right.kind == "date" and left.kind == "number" and left.dim == "time":
                return T.DATE
            self.fail(node, "type_error", f"cannot compute {left.describe()} {op} {right.describe()}; dates take "
                      "date - date, or date + or - a time")
        for side, t in (("left", left), ("right", right)):
            if t.kind != "number":
                self.fail(node.left if side == "left" else node.right, "type_error",
                          f"`{op}` needs numbers, but this is {t.describe()}")
        if op in "+-":
            if left.dim != right.dim:
                self.fail(node, "unit_error", f"cannot compute {left.describe()} {op} {right.describe()}")
            return T.number(left.dim)
        if op == "*":
            if left.dim and right.dim:
                self.fail(node, "unit_error", f"cannot multiply {left.describe()} by {right.describe()}")
            return T.number(left.dim or right.dim)
        if right.dim and right.dim != left.dim:
            self.fail(node, "unit_error", f"cannot divide {left.describe()} by {right.describe()}")
        return T.number(None if right.dim else left.dim)

    def check_Neg(self, node, scope):
        t = self.check(node.operand, scope)
        if t.kind not in ("number", "any"):
            self.fail(node, "type_error", f"`-` needs a number, but this is {t.describe()}")
        return t

    # -- calls and quantifiers ---------------------------------------------------------
    def check_Call(self, node, scope):
        function = FUNCTIONS.get(node.name)
        if function is None:
            self.fail(node.name_span, "unknown_function", f"unknown function `{node.name}`; the functions are: "
                      + ", ".join(sorted(FUNCTIONS)), _suggest(node.name, FUNCTIONS))
        arg_types = [self.check(arg, scope) for arg in node.args]
        try:
            return function.check(arg_types)
        except Mismatch as err:
            self.fail(node, "type_error", f"{function.signature}: {err}")

    def check_Quantifier(self, node, scope):
        source = self.check(node.source, scope)
        if source.kind != "list":
            self.fail(node.source, "type_error", f"{node.kind}() needs a list to go through, not {source.describe()}")
        if node.var.startswith("__"):
            self.fail(node.var_span, "type_error", f"`{node.var}`: variable names cannot start with two underscores")
        if node.var in scope or node.var in self.roots:
            self.fail(node.var_span, "type_error", f"`{node.var}` is already a name here; choose another variable name")
        inner = dict(scope)
        inner[node.var] = source.elem or T.ANY
        self._want_bool(node.body, inner, f"the body of {node.kind}()")
        return T.NUMBER if node.kind == "count" else T.BOOL
