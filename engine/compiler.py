"""Checked AST -> Python closures that evaluate the condition against an environment.

Input: an AST whose node types the checker recorded, and the vocabularies. Output: a
function `f(env) -> value` where `env` maps the root names (request, patient, findings, ...)
and bound variables to case values, and `env["__reads__"]` is a list that collects every
fact read (for traces) or None (no tracing). Missing facts give `UNKNOWN`; and/or/not
follow Kleene's three-valued logic. Constant subtrees are folded here, once.

Each condition compiles in two modes that give the same value on every environment:

* traced (`compile_condition`): the closures record what they read in `env["__reads__"]`
  when it is a list, exactly as the traces show it;
* untraced (`compile_untraced`): the closures never look at `env["__reads__"]`. They are
  specialised by shape: paths of fixed depth are unrolled, `path OP constant` and
  `path in [constants]` are fused into one closure, and/or of two or three operands are
  unrolled, calls have fixed arity, and dates read from the case are parsed once.

Both modes evaluate the same operands in the same order and stop at the same places, so
they raise the same errors too.
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

# "missing": a finding the request does not see (its statements are about other body regions)
_STATUS_VALUE = {"present": True, "absent": False, "not_documented": UNKNOWN, "missing": UNKNOWN}

_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}

_tuple_new = tuple.__new__


class Read(tuple):
    """One fact read during evaluation: (path, value, status, evidence, scope, unit, aside).

    `value` is the fact as the case states it (26 for 26 weeks); `unit` names its unit;
    `aside`, for a finding, the statements of it the request could not see, as
    (statement, reason, scope) (see engine/regions.py).
    """

    __slots__ = ()

    def __new__(cls, path, value, status=None, evidence=None, scope=None, unit=None, aside=None):
        return _tuple_new(cls, (path, value, status, evidence, scope, unit, aside))

    path = property(operator.itemgetter(0))
    value = property(operator.itemgetter(1))
    status = property(operator.itemgetter(2))
    evidence = property(operator.itemgetter(3))
    scope = property(operator.itemgetter(4))
    unit = property(operator.itemgetter(5))
    aside = property(operator.itemgetter(6))


class _Const:
    """A compiled constant (folded subtree)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, env):
        return self.value


def compile_condition(node: ast.Node, types: dict[int, T.Type], vocab) -> callable:
    """The traced closure: records its reads in env["__reads__"] when that is a list."""
    return _Compiler(types, vocab, traced=True).compile(node)


def compile_untraced(node: ast.Node, types: dict[int, T.Type], vocab) -> callable:
    """The untraced closure: the same value as the traced one, never records reads."""
    return _Compiler(types, vocab, traced=False).compile(node)


_DATES: dict = {}


def _to_date(value):
    if type(value) is str:
        day = _DATES.get(value)
        if day is None:
            try:
                day = _dt.date.fromisoformat(value)
            except ValueError:
                return UNKNOWN
            if len(_DATES) >= 4096:
                _DATES.clear()
            _DATES[value] = day
        return day
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return UNKNOWN


def _dates(values):
    return [_to_date(x) for x in values]


_UNIT_OF_SCALE = {7: "weeks", 30: "months", 365: "years"}
_UNIT_OF_DIM = {"time": "days", "mass": "mg", "med": "mg MED"}


class _Compiler:
    def __init__(self, types, vocab, traced=True):
        self.types = types
        self.vocab = vocab
        self.traced = traced

    def compile(self, node):
        return getattr(self, "compile_" + type(node).__name__)(node)

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

    def _conversion(self, node):
        """(how, unit) for a non-finding path: how is None, ("scale", s), "date" or "dates"."""
        t = self.types[id(node)]
        if t.kind == "number" and t.scale != 1:
            return ("scale", t.scale), _UNIT_OF_SCALE.get(t.scale)
        if t.kind == "number" and t.dim is not None:
            return None, _UNIT_OF_DIM[t.dim]
        if t.kind == "date":
            return "date", None
        if t.kind == "list" and t.elem is not None and t.elem.kind == "date":
            return "dates", None
        return None, None

    @staticmethod
    def _is_finding(node):
        return isinstance(node, ast.Path) and node.parts[0] == "findings" and len(node.parts) == 2

    def compile_Path(self, node):
        head, *rest = node.parts
        if head == "findings" and len(rest) == 1:
            if self.traced:
                return _traced_finding(rest[0], node.text)
            return _finding(rest[0])
        how, unit = self._conversion(node)
        if self.traced:
            convert = None
            if how == "date":
                convert = _to_date
            elif how == "dates":
                convert = _dates
            elif how is not None:
                scale = how[1]
                convert = lambda v: v * scale
            bound = head not in ROOT_NAMES  # a quantifier's variable: the trace names the element read
            return _traced_path(head, tuple(rest), node.text, bound, unit, convert)
        get = _getter(head, tuple(rest))
        if how is None:
            return get
        if how == "date":
            def date_path(env):
                v = get(env)
                return v if v is UNKNOWN else _to_date(v)
            return date_path
        if how == "dates":
            def dates_path(env):
                v = get(env)
                return v if v is UNKNOWN else [_to_date(x) for x in v]
            return dates_path
        scale = how[1]

        def scaled_path(env):
            v = get(env)
            return v if v is UNKNOWN else v * scale
        return scaled_path

    # -- logic -------------------------------------------------------------------------
    def compile_Not(self, node):
        if not self.traced and self._is_finding(node.operand):
            concept = node.operand.parts[1]

            def not_finding(env):
                entry = env["findings"].get(concept)
                if entry is None:
                    return UNKNOWN
                v = _STATUS_VALUE[entry["status"]]
                return UNKNOWN if v is UNKNOWN else not v
            return not_finding
        inner = self.compile(node.operand)

        def not_(env):
            v = inner(env)
            return UNKNOWN if v is UNKNOWN else not v
        return self._fold(not_, [inner])

    def compile_BoolOp(self, node):
        parts = tuple(self.compile(o) for o in node.operands)
        if node.op == "and":
            if len(parts) == 2:
                p0, p1 = parts

                def and2(env):
                    v0 = p0(env)
                    if v0 is False:
                        return False
                    v1 = p1(env)
                    if v1 is False:
                        return False
                    return UNKNOWN if v0 is UNKNOWN or v1 is UNKNOWN else True
                return self._fold(and2, parts)
            if len(parts) == 3:
                p0, p1, p2 = parts

                def and3(env):
                    v0 = p0(env)
                    if v0 is False:
                        return False
                    v1 = p1(env)
                    if v1 is False:
                        return False
                    v2 = p2(env)
                    if v2 is False:
                        return False
                    return UNKNOWN if v0 is UNKNOWN or v1 is UNKNOWN or v2 is UNKNOWN else True
                return self._fold(and3, parts)

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

        if len(parts) == 2:
            p0, p1 = parts

            def or2(env):
                v0 = p0(env)
                if v0 is True:
                    return True
                v1 = p1(env)
                if v1 is True:
                    return True
                return UNKNOWN if v0 is UNKNOWN or v1 is UNKNOWN else False
            return self._fold(or2, parts)
        if len(parts) == 3:
            p0, p1, p2 = parts

            def or3(env):
                v0 = p0(env)
                if v0 is True:
                    return True
                v1 = p1(env)
                if v1 is True:
                    return True
                v2 = p2(env)
                if v2 is True:
                    return True
                return UNKNOWN if v0 is UNKNOWN or v1 is UNKNOWN or v2 is UNKNOWN else False
            return self._fold(or3, parts)

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

    def _plain_path(self, node):
        """(head, rest, scale) of a non-finding path read without conversion or with a scale only."""
        if not isinstance(node, ast.Path) or self._is_finding(node):
            return None
        how, _ = self._conversion(node)
        if how is None:
            return node.parts[0], node.parts[1:], None
        if isinstance(how, tuple):
            return node.parts[0], node.parts[1:], how[1]
        return None

    def compile_Compare(self, node):
        left, right = self.compile(node.left), self.compile(node.right)
        op = _COMPARE[node.op]
        if isinstance(right, _Const) and right.value is not UNKNOWN:
            constant = right.value
            if not self.traced:
                fused = self._plain_path(node.left)
                if fused is not None:
                    return _path_compare(*fused, op, constant)
                if self._is_finding(node.left):
                    return _finding_compare(node.left.parts[1], op, constant)

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
            if not self.traced:
                fused = self._plain_path(node.item)
                if fused is not None and fused[2] is None:
                    return _path_in(fused[0], fused[1], members, negated)

            def in_const(env):
                v = item(env)
                if v is UNKNOWN:
                    return UNKNOWN
                return (v in members) is not negated
            return self._fold(in_const, [item, container])

        if isinstance(item, _Const) and item.value is not UNKNOWN and not self.traced:
            fused = self._plain_path(node.container)
            if fused is not None and fused[2] is None:
                return _const_in_path(item.value, _getter(fused[0], fused[1]), negated)

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
            elif None in c or UNKNOWN in c:   # an element unknown: cannot say it is absent
                return UNKNOWN
            else:
                found = False
            return found is not negated
        return self._fold(in_, [item, container])

    # -- arithmetic --------------------------------------------------------------------
    def compile_Arith(self, node):
        """Arithmetic; a result out of range (a date past year 9999, a number too large for a
        float, or not finite) is unknown, never an error."""
        left, right = self.compile(node.left), self.compile(node.right)
        lt, rt = self.types[id(node.left)], self.types[id(node.right)]
        op = node.op
        if op == "-" and lt.kind == "date" and rt.kind == "date":
            def days_between(env):
                a = left(env)
                if a is UNKNOWN:
                    return UNKNOWN
                b = right(env)
                return UNKNOWN if b is UNKNOWN else float((a - b).days)
            return self._fold(days_between, [left, right])
        if lt.kind == "date" or rt.kind == "date":
            sign = -1 if op == "-" else 1
            if lt.kind == "date":
                fn = lambda a, b: a + _dt.timedelta(days=sign * b)
            else:
                fn = lambda a, b: b + _dt.timedelta(days=a)
        elif op == "/":
            def divide(env):
                a = left(env)
                if a is UNKNOWN:
                    return UNKNOWN
                b = right(env)
                if b is UNKNOWN or b == 0:
                    return UNKNOWN
                try:
                    r = a / b
                except OverflowError:
                    return UNKNOWN
                return UNKNOWN if r - r != 0.0 else r     # r - r is nan for inf and nan
            return self._fold(divide, [left, right])
        else:
            fn = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

        def arith(env):
            a = left(env)
            if a is UNKNOWN:
                return UNKNOWN
            b = right(env)
            if b is UNKNOWN:
                return UNKNOWN
            try:
                r = fn(a, b)
            except (OverflowError, ValueError):     # a date out of range; a non-finite number of days
                return UNKNOWN
            if type(r) is float and r - r != 0.0:
                return UNKNOWN
            return r
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
            if not self.traced:
                return lambda env: impl(arg(env))

            def daily_med(env):
                request = arg(env)
                value = impl(request)
                reads = env[READS]
                if reads is not None:
                    reads.append(Read("daily_med(request)", value, unit="mg MED"))
                return value
            return daily_med
        if node.name == "known":
            # never folded: known(constant) is true, but keep the read visible
            if not self.traced and self._is_finding(node.args[0]):
                concept = node.args[0].parts[1]

                def known_finding(env):
                    entry = env["findings"].get(concept)
                    return entry is not None and _STATUS_VALUE[entry["status"]] is not UNKNOWN
                return known_finding
            a0 = args[0]
            return lambda env: a0(env) is not UNKNOWN
        if len(args) == 1:
            a0 = args[0]
            if sees_unknown:
                call = lambda env: impl(a0(env))
            else:
                def call(env):
                    a = a0(env)
                    return UNKNOWN if a is UNKNOWN else impl(a)
        elif len(args) == 2:
            a0, a1 = args
            if sees_unknown:
                call = lambda env: impl(a0(env), a1(env))
            else:
                def call(env):
                    a = a0(env)
                    b = a1(env)     # every argument is evaluated (and traced), as in the general case
                    if a is UNKNOWN or b is UNKNOWN:
                        return UNKNOWN
                    return impl(a, b)
        else:
            def call(env):
                values = [a(env) for a in args]
                if not sees_unknown and any(v is UNKNOWN for v in values):
                    return UNKNOWN
                return impl(*values)
        return self._fold(call, args)

    def compile_Quantifier(self, node):
        source, body = self.compile(node.source), self.compile(node.body)
        var, kind = node.var, node.kind
        if not self.traced:
            return _untraced_quantifier(source, body, var, kind)
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


# -- untraced building blocks ---------------------------------------------------------------
def _getter(head, rest):
    """env -> the value at head.rest as the case states it; UNKNOWN when missing or null."""
    n = len(rest)
    if n == 0:
        def get0(env):
            v = env.get(head)
            return UNKNOWN if v is None else v
        return get0
    if n == 1:
        k1, = rest

        def get1(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            return UNKNOWN if v is None else v
        return get1
    if n == 2:
        k1, k2 = rest

        def get2(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k2)
            return UNKNOWN if v is None else v
        return get2

    def get(env):
        v = env.get(head)
        for key in rest:
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(key)
        return UNKNOWN if v is None else v
    return get


def _path_compare(head, rest, scale, op, constant):
    """`path OP constant` in one closure (no date conversion; an optional unit scale)."""
    n = len(rest)
    if n == 1 and scale is None:
        k1, = rest

        def compare1(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            return UNKNOWN if v is None else op(v, constant)
        return compare1
    if n == 1:
        k1, = rest

        def compare1_scaled(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            return UNKNOWN if v is None else op(v * scale, constant)
        return compare1_scaled
    if n == 2 and scale is None:
        k1, k2 = rest

        def compare2(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k2)
            return UNKNOWN if v is None else op(v, constant)
        return compare2
    get = _getter(head, rest)
    if scale is None:
        def compare(env):
            v = get(env)
            return UNKNOWN if v is UNKNOWN else op(v, constant)
        return compare

    def compare_scaled(env):
        v = get(env)
        return UNKNOWN if v is UNKNOWN else op(v * scale, constant)
    return compare_scaled


def _path_in(head, rest, members, negated):
    """`path in [constants]` (or `not in`) in one closure."""
    if len(rest) == 1 and not negated:
        k1, = rest

        def in1(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            return UNKNOWN if v is None else v in members
        return in1
    if len(rest) == 2 and not negated:
        k1, k2 = rest

        def in2(env):
            v = env.get(head)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k1)
            if type(v) is not dict:
                return UNKNOWN
            v = v.get(k2)
            return UNKNOWN if v is None else v in members
        return in2
    get = _getter(head, rest)

    def in_members(env):
        v = get(env)
        return UNKNOWN if v is UNKNOWN else (v in members) is not negated
    return in_members


def _const_in_path(v, get, negated):
    """`constant in path` (a list, or a string searched ignoring case) in one closure."""
    def const_in(env):
        c = get(env)
        if c is UNKNOWN:
            return UNKNOWN
        if isinstance(c, str):
            found = v.lower() in c.lower()
        elif v in c:
            found = True
        elif None in c or UNKNOWN in c:
            return UNKNOWN
        else:
            found = False
        return found is not negated
    return const_in


def _finding(concept):
    def finding(env):
        entry = env["findings"].get(concept)
        return UNKNOWN if entry is None else _STATUS_VALUE[entry["status"]]
    return finding


def _finding_compare(concept, op, constant):
    def finding_compare(env):
        entry = env["findings"].get(concept)
        if entry is None:
            return UNKNOWN
        v = _STATUS_VALUE[entry["status"]]
        return UNKNOWN if v is UNKNOWN else op(v, constant)
    return finding_compare


def _untraced_quantifier(source, body, var, kind):
    if kind == "any":
        def any_(env):
            items = source(env)
            if items is UNKNOWN:
                return UNKNOWN
            saved = env.get(var, _MISSING)
            unknown = False
            try:
                for item in items:
                    env[var] = item
                    v = body(env)
                    if v is UNKNOWN:
                        unknown = True
                    elif v:
                        return True
            finally:
                if saved is _MISSING:
                    env.pop(var, None)
                else:
                    env[var] = saved
            return UNKNOWN if unknown else False
        return any_
    if kind == "all":
        def all_(env):
            items = source(env)
            if items is UNKNOWN:
                return UNKNOWN
            saved = env.get(var, _MISSING)
            unknown = False
            try:
                for item in items:
                    env[var] = item
                    v = body(env)
                    if v is UNKNOWN:
                        unknown = True
                    elif not v:
                        return False
            finally:
                if saved is _MISSING:
                    env.pop(var, None)
                else:
                    env[var] = saved
            return UNKNOWN if unknown else True
        return all_

    def count_(env):
        items = source(env)
        if items is UNKNOWN:
            return UNKNOWN
        saved = env.get(var, _MISSING)
        unknown = False
        count = 0
        try:
            for item in items:
                env[var] = item
                v = body(env)
                if v is UNKNOWN:
                    unknown = True
                elif v:
                    count += 1
        finally:
            if saved is _MISSING:
                env.pop(var, None)
            else:
                env[var] = saved
        return UNKNOWN if unknown else count
    return count_


# -- traced building blocks -----------------------------------------------------------------
def _traced_path(head, rest, text, bound, unit, convert):
    """A path that records what it reads: the fact's value as the case states it, its evidence
    (the parent's "__evidence__" entry for the fact, or the parent's own evidence), its unit.
    Objects, and lists of objects, are not facts: reading through them records nothing."""
    tail = "".join("." + part for part in rest)
    marker = "#" + head
    last = rest[-1] if rest else None

    def record(env, reads, value, parent):
        evidence = None
        if parent is not None:
            notes = parent.get("__evidence__")
            evidence = (notes.get(last) if notes else None) or parent.get("evidence")
        shown = (env.get(marker, head) + tail) if bound else text
        reads.append(_tuple_new(Read, (shown, value, None, evidence, None, unit, None)))

    if len(rest) == 1:
        k1, = rest

        def path1(env):
            parent = env.get(head, UNKNOWN)
            if type(parent) is dict:
                value = parent.get(k1, UNKNOWN)
                if value is None:
                    value = UNKNOWN
            else:
                value, parent = UNKNOWN, None
            reads = env[READS]
            if reads is not None:
                kind = type(value)
                if kind is not dict and (kind is not list or not value or type(value[0]) is not dict):
                    record(env, reads, value, parent)
            if convert is not None and value is not UNKNOWN:
                return convert(value)
            return value
        return path1

    if len(rest) == 2:
        k1, k2 = rest

        def path2(env):
            parent = env.get(head, UNKNOWN)
            if type(parent) is not dict:
                value, parent = UNKNOWN, None
            else:
                value = parent.get(k1, UNKNOWN)
                if type(value) is not dict:
                    value = UNKNOWN
                else:
                    parent = value
                    value = value.get(k2, UNKNOWN)
                    if value is None:
                        value = UNKNOWN
            reads = env[READS]
            if reads is not None:
                kind = type(value)
                if kind is not dict and (kind is not list or not value or type(value[0]) is not dict):
                    record(env, reads, value, parent)
            if convert is not None and value is not UNKNOWN:
                return convert(value)
            return value
        return path2

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
        if reads is not None:
            kind = type(value)
            if kind is not dict and (kind is not list or not value or type(value[0]) is not dict):
                record(env, reads, value, parent)
        if convert is not None and value is not UNKNOWN:
            value = convert(value)
        return value
    return path


def _traced_finding(concept, text):
    def finding(env):
        entry = env["findings"].get(concept)
        if entry is None:
            reads = env[READS]
            if reads is not None:
                reads.append(_tuple_new(Read, (text, UNKNOWN, "missing", None, None, None, None)))
            return UNKNOWN
        status = entry["status"]
        value = _STATUS_VALUE[status]
        reads = env[READS]
        if reads is not None:
            reads.append(_tuple_new(Read, (text, value, status, entry.get("evidence"), entry.get("scope", "case"), None,
                                           entry.get("set_aside"))))
        return value
    return finding
