"""Runtime values shared by the compiler, the evaluator and the functions: `UNKNOWN`."""
from __future__ import annotations


class _Unknown:
    """The third truth value: a fact missing from the case, or anything computed from one."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "unknown"

    def __bool__(self) -> bool:
        raise TypeError("unknown has no Python truth value; compare with `is UNKNOWN`")

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN = _Unknown()


def show(value) -> str:
    """A value as the trace prints it."""
    if value is UNKNOWN:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if not isinstance(value, str) else value
