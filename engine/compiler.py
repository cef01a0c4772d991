"""Checked AST -> a Python closure that evaluates the condition against an environment.

Input: an AST whose node types the checker recorded, and the vocabularies. Output: a
function `f(env) -> value` where `env` maps the root names (request, patient, findings, ...)
and bound variables to case values, and `env["__reads__"]` is a list that collects every
fact read (for traces) or None (no tracing). Missing facts give `UNKNOWN`; and/or/not
follow Kleene's three-valued logic. Constant subtrees are folded here, once.
"""
from __future__ import annotations

import datetime as _dt
import operator

from . import ast
from . import types as T
from .functions import FUNCTIONS
from .values import UNKNOWN

READS = "__reads__"
ROOT_NAMES = frozenset(T.root_types())

_STATUS_VALUE = {"present": True, "absent": False, "not_documented": UNKNOWN}

_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


class Read(tuple):
    """One fact read during evaluation: (path, value, status, evidence, scope, unit).

    `value` is the fact as the case states it (26 for 26 weeks); `unit` names its unit.
    """

    __slots__ = ()

    def __new__(cls, path, value, status=None, evidence=None, scope=None, unit=None):
        return tuple.__new__(cls, (path, value, status, evidence, scope, unit))

    path = property(lambda self: self[0])
    value = property(lambda self: self[1])
    status = property(lambda self: self[2])
    evidence = property(lambda self: self[3])
    scope = property(lambda self: self[4])
    unit = property(lambda self: self[5])


class _Const:
    """A compiled constant (folded subtree)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, env):
        return self.value


def compile_condition(node: ast.Node, types: dict[int, T.Type], vocab) -> callable:
    return _Compiler(types, vocab).compile(node)


def _to_date(value):
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return UNKNOWN


class _Compiler:
    def __init__(self, types, vocab):
        self.types = types
        self.vocab = vocab

    def compile(self, node):
        f = getattr(self, "compile_" + type(node).__name__)(node)
        return f

    def _fold(self, f, children):
        if all(isinstance(c, _Const) for c in children):
            return _Const(f({READS: None}))
        return f

    # -- leaves ------------------------------------------------------------------------
    def compile_Literal(self, node):
        if node.kind == "quantity":
            return _Const(node.value * T.UNITS[node.unit][1])
        return _Const(node.value)

    def compile_ListLit(self, node):
        items = [self.compile(i) for i in node.items]
        if all(isinstance(i, _Const) for i in items):
            return _Const([i.value for i in items])
        return lambda env: [i(env) for i in items]

    def compile_Path(self, node):
        t = self.types[id(node)]
        head, *rest = node.parts
        text = node.text
        if head == "findings" and len(rest) == 1:
            return self._finding(rest[0], text)
        convert = None
        unit = None
        if t.kind == "number" and t.scale != 1:
            scale = t.scale
            convert = lambda v: v * scale
            unit = {7: "weeks", 30: "months", 365: "years"}.get(scale)
        elif t.kind == "number" and t.dim is not None:
            unit = {"time": "days", "mass": "mg", "med": "mg MED"}[t.dim]
        elif t.kind == "date":
            convert = _to_date
        elif t.kind == "list" and t.elem is not None and t.elem.kind == "date":
            convert = lambda v: [_to_date(x) for x in v]
        rest = tuple(rest)
        bound = head not in ROOT_NAMES  # a quantifier's variable: the trace names the element read
        tail = "".join("." + part for part in rest)

        def path(env):
            value = env.get(head, UNKNOWN)
            parent = None
            for key in rest:
                if type(value) is not dict:
                    value = UNKNOWN
                    break
                parent = value
                value = value.get(key, UNKNOWN)
            if value is None:
                value = UNKNOWN
            reads = env[READS]
            if reads is not None and (value is UNKNOWN or type(value) is not dict) and (
                    type(value) is not list or not value or type(value[0]) is not dict):
                evidence = None
                if parent is not None:
                    evidence = (parent.get("__evidence__") or {}).get(rest[-1]) or parent.get("evidence")
                shown = (env.get("#" + head, head) + tail) if bound else text
                reads.append(Read(shown, value, None, evidence, None, unit))
            if convert is not None and value is not UNKNOWN:
                value = convert(value)
            return value
        return path

    def _finding(self, concept, text):
        def finding(env):
            entry = env["findings"].get(concept)
            if entry is None:
                value, status, evidence, scope = UNKNOWN, "missing", None, None
            else:
                status = entry["status"]
                value = _STATUS_VALUE[status]
                evidence = entry.get("evidence")
                scope = entry.get("scope", "case")
            reads = env[READS]
            if reads is not None:
                reads.append(Read(text, value, status, evidence, scope))
            return value
        return finding

    # -- logic -------------------------------------------------------------------------
    def compile_Not(self, node):
        inner = self.compile(node.operand)

        def not_(env):
            v = inner(env)
            return UNKNOWN if v is UNKNOWN else not v
        return self._fold(not_, [inner])

    def compile_BoolOp(self, node):
        parts = tuple(self.compile(o) for o in node.operands)
        if node.op == "and":
            def and_(env):
                result = True
                for part in parts:
                    v = part(env)
                    if v is False:
                        return False
                    if v is UNKNOWN:
                        result = UNKNOWN
                return result
            return self._fold(and_, parts)

        def or_(env):
            result = False
            for part in parts:
                v = part(env)
                if v is True:
                    return True
                if v is UNKNOWN:
                    result = UNKNOWN
            return result
        return self._fold(or_, parts)

    def compile_Compare(self, node):
        left, right = self.compile(node.left), self.compile(node.right)
        op = _COMPARE[node.op]
        if isinstance(right, _Const) and right.value is not UNKNOWN:
            constant = right.value

            def compare_const(env):
                a = left(env)
                return UNKNOWN if a is UNKNOWN else op(a, constant)
            return self._fold(compare_const, [left, right])

        def compare(env):
            a = left(env)
            if a is UNKNOWN:
                return UNKNOWN
            b = right(env)
            return UNKNOWN if b is UNKNOWN else op(a, b)
        return self._fold(compare, [left, right])

    def compile_In(self, node):
        item, container = self.compile(node.item), self.compile(node.container)
        negated = node.negated
        if isinstance(container, _Const) and isinstance(container.value, list):
            members = frozenset(container.value)

            def in_const(env):
                v = item(env)
                if v is UNKNOWN:
                    return UNKNOWN
                return (v in members) is not negated
            return self._fold(in_const, [item, container])

        def in_(env):
            v = item(env)
            if v is UNKNOWN:
                return UNKNOWN
            c = container(env)
            if c is UNKNOWN:
                return UNKNOWN
            if isinstance(c, str):
                found = v.lower() in c.lower()
            elif v in c:
                found = True
            elif any(x is UNKNOWN or x is None for x in c):
                return UNKNOWN
            else:
                found = False
            return found is not negated
        return self._fold(in_, [item, container])

    # -- arithmetic --------------------------------------------------------------------
    def compile_Arith(self, node):
        left, right = self.compile(node.left), self.compile(node.right)
        lt, rt = self.types[id(node.left)], self.types[id(node.right)]
        op = node.op
        if op == "-" and lt.kind == "date" and rt.kind == "date":
            fn = lambda a, b: float((a - b).days)
        elif lt.kind == "date" or rt.kind == "date":
            sign = -1 if op == "-" else 1
            if lt.kind == "date":
                fn = lambda a, b: a + _dt.timedelta(days=sign * b)
            else:
                fn = lambda a, b: b + _dt.timedelta(days=a)
        elif op == "/":
            fn = lambda a, b: UNKNOWN if b == 0 else a / b
        else:
            fn = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

        def arith(env):
            a = left(env)
            if a is UNKNOWN:
                return UNKNOWN
            b = right(env)
            return UNKNOWN if b is UNKNOWN else fn(a, b)
        return self._fold(arith, [left, right])

    def compile_Neg(self, node):
        inner = self.compile(node.operand)

        def neg(env):
            v = inner(env)
            return UNKNOWN if v is UNKNOWN else -v
        return self._fold(neg, [inner])

    # -- calls and quantifiers ---------------------------------------------------------
    def compile_Call(self, node):
        function = FUNCTIONS[node.name]
        impl = function.impl(self.vocab)
        args = tuple(self.compile(a) for a in node.args)
        sees_unknown = function.sees_unknown
        if node.name == "daily_med":
            # daily_med reads the raw request object: record the facts it depends on.
            arg = args[0]

            def daily_med(env):
                request = arg(env)
                value = impl(request)
                reads = env[READS]
                if reads is not None:
                    reads.append(Read("daily_med(request)", value, unit="mg MED"))
                return value
            return daily_med

        def call(env):
            values = [a(env) for a in args]
            if not sees_unknown and any(v is UNKNOWN for v in values):
                return UNKNOWN
            return impl(*values)
        if node.name == "known":
            return call  # never folded: known(constant) is true, but keep the read visible
        return self._fold(call, args)

    def compile_Quantifier(self, node):
        source, body = self.compile(node.source), self.compile(node.body)
        var, kind = node.var, node.kind
        label = node.source.text if isinstance(node.source, ast.Path) else "list"
        marker = "#" + var

        def quantifier(env):
            items = source(env)
            if items is UNKNOWN:
                return UNKNOWN
            saved = env.get(var, _MISSING)
            tracing = env[READS] is not None
            unknown = False
            count = 0
            try:
                for index, item in enumerate(items):
                    env[var] = item
                    if tracing:
                        env[marker] = f"{label}[{index}]"
                    v = body(env)
                    if v is UNKNOWN:
                        unknown = True
                    elif v:
                        if kind == "any":
                            return True
                        count += 1
                    elif kind == "all":
                        return False
            finally:
                env.pop(marker, None)
                if saved is _MISSING:
                    env.pop(var, None)
                else:
                    env[var] = saved
            if unknown:
                return UNKNOWN
            if kind == "count":
                return count
            return kind == "all"
        return quantifier


_MISSING = object()
