"""The error tree of the engine and the rendering of errors for people.

Every error a user can meet is an `EngineError` with a stable snake_case `code`, a message
that says what was expected, and, where it has one, a location (file, line, column) with
the source line. Loading collects all errors in an `ErrorList`; nothing shows a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .source import Location, caret_snippet


class EngineError(Exception):
    """Base of all errors the engine reports."""

    code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None, location: Location | None = None,
                 source_line: str | None = None, hint: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.location = location
        self.source_line = source_line
        self.hint = hint
        self.path = path  # a JSON path ($.requests[0].quantity) or a file path

    def render(self) -> str:
        where = str(self.location) if self.location else (self.path or "")
        head = f"{where}: {self.code}: {self.message}" if where else f"{self.code}: {self.message}"
        parts = [head]
        if self.location and self.source_line is not None:
            parts.append(caret_snippet(self.source_line, self.location.column))
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.location:
            out.update(file=self.location.file, line=self.location.line, column=self.location.column)
        if self.path:
            out["path"] = self.path
        if self.hint:
            out["hint"] = self.hint
        return out

    def __str__(self) -> str:
        return self.render()


class RuleError(EngineError):
    """A problem in a rules or vocabulary file (syntax, structure, names, types)."""

    code = "rule_error"


class ConditionSyntaxError(RuleError):
    code = "condition_syntax_error"


class CaseError(EngineError):
    """A case document that is not valid JSON or not valid under the case schema."""

    code = "case_schema_error"


class EvalError(EngineError):
    code = "eval_error"


@dataclass
class ErrorList(Exception):
    """Many errors at once, sorted by place; raised when loading finds any."""

    errors: list[EngineError] = field(default_factory=list)

    def add(self, error: EngineError) -> None:
        self.errors.append(error)

    def extend(self, errors) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def sorted(self) -> list[EngineError]:
        def key(e: EngineError):
            loc = e.location
            return (loc.file, loc.line, loc.column, e.code) if loc else (e.path or "", 0, 0, e.code)
        return sorted(self.errors, key=key)

    def render(self, max_errors: int | None = None) -> str:
        items = self.sorted()
        shown = items if max_errors is None else items[:max_errors]
        text = "\n".join(e.render() for e in shown)
        more = len(items) - len(shown)
        tail = f"{len(items)} error{'s' if len(items) != 1 else ''}"
        if more > 0:
            tail += f" ({more} not shown)"
        return f"{text}\n{tail}" if text else tail

    def __str__(self) -> str:
        return self.render()
