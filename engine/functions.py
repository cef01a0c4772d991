"""The fixed set of functions conditions may call. Nothing else can be called.

Each entry says how to type-check a call (a function of the argument types that returns
the result type or raises `Mismatch`) and how to compute it. Unless a function is marked
`sees_unknown`, any unknown argument makes the result unknown without calling it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import types as T
from .values import UNKNOWN


class Mismatch(Exception):
    """A call whose arguments have the wrong number or types; the message says what was expected."""


@dataclass(frozen=True)
class Function:
    name: str
    signature: str
    doc: str
    check: Callable[[list[T.Type]], T.Type]
    impl: Callable            # impl(vocab) -> callable(*values)
    sees_unknown: bool = False


def _arity(args, low, high=None):
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise Mismatch(f"takes {want} argument{'s' if high != 1 else ''}, got {len(args)}")


def _check_known(args):
    _arity(args, 1)
    return T.BOOL


def _check_len(args):
    _arity(args, 1)
    if args[0].kind not in ("list", "string", "any"):
        raise Mismatch(f"expects a list, got {args[0].describe()}")
    return T.NUMBER


def _check_minmax(args):
    _arity(args, 1, 8)
    if len(args) == 1:
        if args[0].kind != "list" or args[0].elem.kind not in ("number", "date", "any"):
            raise Mismatch("expects numbers or dates, or one list of them")
        return args[0].elem
    first = args[0]
    if first.kind not in ("number", "date", "any"):
        raise Mismatch(f"expects numbers or dates, got {first.describe()}")
    for other in args[1:]:
        if not first.same_kind(other):
            raise Mismatch(f"arguments must all be {first.describe()}, got {other.describe()}")
    return first


def _check_abs(args):
    _arity(args, 1)
    if args[0].kind not in ("number", "any"):
        raise Mismatch(f"expects a number, got {args[0].describe()}")
    return args[0]


def _check_pct_drop(args):
    _arity(args, 2)
    for a in args:
        if a.kind not in ("number", "any"):
            raise Mismatch(f"expects two numbers, got {a.describe()}")
    if not args[0].same_kind(args[1]):
        raise Mismatch(f"expects two numbers of the same unit, got {args[0].describe()} and {args[1].describe()}")
    return T.NUMBER


def _check_strings(n, result):
    def check(args):
        _arity(args, n)
        for a in args:
            if a.kind not in ("string", "any"):
                raise Mismatch(f"expects strings, got {a.describe()}")
        return result
    return check


def _check_time_to_number(args):
    _arity(args, 1)
    if args[0].kind != "any" and (args[0].kind != "number" or args[0].dim != "time"):
        raise Mismatch(f"expects a time (days, weeks, months), got {args[0].describe()}")
    return T.NUMBER


def _check_first_known(args):
    _arity(args, 1, 8)
    first = args[0]
    for other in args[1:]:
        if not first.same_kind(other):
            raise Mismatch(f"arguments must all be {first.describe()}, got {other.describe()}")
    return next((a for a in args if a.kind != "any"), first)


def _first_known(*values):
    for value in values:
        if value is not UNKNOWN:
            return value
    return UNKNOWN


def _check_daily_med(args):
    _arity(args, 1)
    if args[0].kind != "object" or not (args[0].schema or "").endswith("/request"):
        raise Mismatch("expects the request: daily_med(request)")
    return T.number("med")


def _finite(value):
    """A number computed from case values, or unknown when out of range (inf or nan)."""
    return UNKNOWN if type(value) is float and value - value != 0.0 else value


def _pct_drop(before, after):
    if before == 0:
        return UNKNOWN
    try:
        return _finite(100.0 * (before - after) / before)
    except OverflowError:
        return UNKNOWN


def _in_weeks(days):
    try:
        return _finite(days / 7)
    except OverflowError:
        return UNKNOWN


def _minmax(pick):
    def impl(*values):
        if len(values) == 1 and isinstance(values[0], list):
            values = values[0]
            if not values or any(v is UNKNOWN for v in values):
                return UNKNOWN
        return pick(values)
    return impl


def _daily_med(vocab):
    def impl(request):
        if not isinstance(request, dict):
            return UNKNOWN
        drug = request.get("drug") or {}
        strength = drug.get("strength_mg")
        per_day = request.get("doses_per_day")
        if per_day is None:
            quantity, days = request.get("quantity"), request.get("days_supply")
            try:
                per_day = quantity / days if quantity is not None and days else None
            except (OverflowError, TypeError):
                return UNKNOWN
        if strength is None or per_day is None:
            return UNKNOWN
        try:
            daily_mg = strength * per_day
            factor = vocab.med_factor(drug.get("generic"), daily_mg)
            return UNKNOWN if factor is None else _finite(daily_mg * factor)
        except (OverflowError, TypeError):    # a number out of range; a value of another type
            return UNKNOWN
    return impl


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("known", "known(x) -> bool", "True when x is known (a fact present in the case); never unknown.",
             _check_known, lambda v: (lambda x: x is not UNKNOWN), sees_unknown=True),
    Function("len", "len(list) -> number", "Number of elements of a list.", _check_len, lambda v: len),
    Function("min", "min(a, b, ...) or min(list)", "Smallest of numbers or dates of one unit.",
             _check_minmax, lambda v: _minmax(min)),
    Function("max", "max(a, b, ...) or max(list)", "Largest of numbers or dates of one unit.",
             _check_minmax, lambda v: _minmax(max)),
    Function("abs", "abs(x) -> number", "Absolute value, same unit.", _check_abs, lambda v: abs),
    Function("pct_drop", "pct_drop(before, after) -> number",
             "Percentage reduction from before to after: 100 * (before - after) / before.",
             _check_pct_drop, lambda v: _pct_drop),
    Function("lower", "lower(text) -> string", "Text in lower case.", _check_strings(1, T.STRING),
             lambda v: str.lower),
    Function("contains", "contains(text, part) -> bool", "True when text contains part, ignoring case.",
             _check_strings(2, T.BOOL), lambda v: (lambda a, b: b.lower() in a.lower())),
    Function("in_days", "in_days(time) -> number", "A time as a plain number of days.",
             _check_time_to_number, lambda v: (lambda t: t)),
    Function("in_weeks", "in_weeks(time) -> number", "A time as a plain number of weeks.",
             _check_time_to_number, lambda v: _in_weeks),
    Function("first_known", "first_known(a, b, ...) -> the type of a",
             "The first argument that is known, in order; unknown when none is (a fact with a stand-in: "
             "first_known(request.date_of_service, letter.ur_denial_date)).",
             _check_first_known, lambda v: _first_known, sees_unknown=True),
    Function("daily_med", "daily_med(request) -> mg MED",
             "The requested opioid's daily dose in morphine equivalents: strength x doses per day x the "
             "lexicon's factor (doses per day from the request, or quantity / days supply); unknown when any is missing.",
             _check_daily_med, _daily_med, sees_unknown=True),
]}
