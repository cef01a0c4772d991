"""Compiled rules, packs and rule sets: what the loader builds and the evaluator runs."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable

from .source import Location


@dataclass(frozen=True)
class Condition:
    """A compiled condition with its source text and place."""

    text: str
    location: Location
    evaluate: Callable = field(compare=False, repr=False)      # traced: records reads in env["__reads__"]
    untraced: Callable | None = field(default=None, compare=False, repr=False)   # same value, never records
    tree: object = field(default=None, compare=False, repr=False)   # the checked AST (engine.ast)

    def __post_init__(self):
        if self.untraced is None:
            object.__setattr__(self, "untraced", self.evaluate)


@dataclass(frozen=True)
class Criterion:
    id: str
    requires: str
    test: Condition
    unmet: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class Unless:
    requires: str
    test: Condition
    document: str | None = None


@dataclass(frozen=True)
class RuleTest:
    name: str
    case: dict
    expect: dict
    request: int
    location: Location
    index_outcome: str | None = None    # the decision assumed for the request's index procedure


@dataclass(frozen=True)
class Citation:
    guideline: str
    section: str
    pages: str
    note: str | None = None

    def __str__(self) -> str:
        pages = f", p. {self.pages}" if self.pages else ""
        note = f" [{self.note}]" if self.note else ""
        return f"{self.guideline}, {self.section}{pages}{note}"

    def as_dict(self) -> dict:
        out = {"guideline": self.guideline, "section": self.section, "pages": self.pages}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Rule:
    id: str
    title: str
    effect: str                      # "support" | "against"
    citation: Citation
    when: Condition
    criteria: tuple[Criterion, ...]
    rationale: str
    unless: Unless | None
    tests: tuple[RuleTest, ...]
    location: Location
    pack: "Pack | None" = None
    inherited_from: str | None = None   # id of the rule this one carries over from an earlier edition
    supersedes: tuple[str, ...] = ()    # patterns of rule ids this rule sets aside when it applies


@dataclass
class Pack:
    id: str
    title: str
    guideline: str
    edition: str
    version: str
    source: str                      # "mtus" | "odg"
    effective_from: _dt.date
    effective_to: _dt.date | None
    location: Location
    rules: list[Rule] = field(default_factory=list)
    inherits: tuple = ()             # ({pack, only, except, note}, ...) from pack.yaml

    def in_force(self, day: _dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def describe(self) -> dict:
        return {"id": self.id, "guideline": self.guideline, "edition": self.edition, "version": self.version,
                "source": self.source, "effective_from": self.effective_from.isoformat(),
                "effective_to": self.effective_to.isoformat() if self.effective_to else None}
