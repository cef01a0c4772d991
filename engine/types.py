"""The types of the condition language, and the types of case paths read off the case schema.

Types: bool, number (with a dimension: none, time, mass, med), string (maybe from a
vocabulary), date, list of T, object (a case-schema node), and the findings map.
Times are held in days, masses in mg, morphine equivalents in mg MED.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from .paths import SCHEMA_DIR

# unit as written -> (dimension, factor to the dimension's base unit)
UNITS = {
    "day": ("time", 1), "days": ("time", 1),
    "week": ("time", 7), "weeks": ("time", 7),
    "month": ("time", 30), "months": ("time", 30),
    "year": ("time", 365), "years": ("time", 365),
    "mg": ("mass", 1),
    "mg MED": ("med", 1),
}
DIMENSION_NAMES = {None: "a plain number", "time": "a time (days, weeks, months)", "mass": "a dose in mg",
                   "med": "morphine equivalents (mg MED)"}


@dataclass(frozen=True)
class Type:
    kind: str                       # bool | number | string | date | list | object | findings | any
    dim: str | None = None          # numbers: None, time, mass, med
    vocab: str | None = None        # strings: the vocabulary their values come from
    enum: frozenset | None = None   # strings: the allowed values
    elem: "Type | None" = None      # lists
    schema: str | None = None       # objects: JSON pointer of the schema node
    scale: float = 1                # numbers read from the case: factor to the base unit (weeks -> days: 7)

    def describe(self) -> str:
        if self.kind == "number":
            return DIMENSION_NAMES[self.dim]
        if self.kind == "list":
            return f"a list of {self.elem.describe() if self.elem else 'values'}"
        if self.kind == "string":
            return "a string"
        if self.kind == "object":
            return "an object"
        if self.kind == "findings":
            return "the findings map"
        return {"bool": "a truth value", "date": "a date", "any": "a value"}.get(self.kind, self.kind)

    def same_kind(self, other: "Type") -> bool:
        if "any" in (self.kind, other.kind):
            return True
        if self.kind != other.kind:
            return False
        if self.kind == "number":
            return self.dim == other.dim
        return True


BOOL = Type("bool")
NUMBER = Type("number")
STRING = Type("string")
DATE = Type("date")
ANY = Type("any")
FINDINGS = Type("findings")


def number(dim: str | None = None, scale: float = 1) -> Type:
    return Type("number", dim=dim, scale=scale)


def list_of(elem: Type) -> Type:
    return Type("list", elem=elem)


@lru_cache(maxsize=1)
def case_schema() -> dict:
    return json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))


def _resolve(pointer: str) -> dict:
    node = case_schema()
    for part in pointer.lstrip("#/").split("/"):
        if part:
            node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# Case-top-level names a rule may not read, with the reason given to the author.
FORBIDDEN_ROOTS = {
    "reviewer": "the reviewer's decisions are never read by rules (only the audit compares with them)",
    "requests": "rules decide one request at a time: read it as `request`",
    "source": "where a case came from is not a fact about the patient",
    "warnings": "extraction warnings are not facts about the patient",
    "set_aside": "statements the reader set aside (about another person, a guideline's text) are not facts about the patient",
    "case_id": "the case id is not a fact about the patient",
    "schema_version": "the schema version is not a fact about the patient",
}


def root_types() -> dict[str, Type]:
    """The names a condition can start with, and their types."""
    props = case_schema()["properties"]
    roots = {}
    for name in props:
        if name in FORBIDDEN_ROOTS:
            continue
        roots[name] = type_of_schema(f"#/properties/{name}")
    roots["request"] = type_of_schema("#/$defs/request")
    roots["index"] = type_of_schema("#/$defs/index_view")   # built by engine/dependencies.py
    roots["findings"] = FINDINGS
    return roots


@lru_cache(maxsize=None)
def type_of_schema(pointer: str, unit: str | None = None, vocab: str | None = None) -> Type:
    node = _resolve(pointer)
    unit = node.get("x-unit", unit)
    vocab = node.get("x-vocab", vocab)
    if "$ref" in node:
        return type_of_schema(node["$ref"], unit, vocab)
    if "oneOf" in node:  # a fact: a bare value or {value, evidence}; its type is the value's
        return type_of_schema(f"{pointer}/oneOf/0", unit, vocab)
    if "enum" in node:
        return Type("string", enum=frozenset(node["enum"]), vocab=vocab)
    if "const" in node:
        return number()
    kind = node.get("type")
    if kind == "object":
        if "properties" not in node and "additionalProperties" in node:
            return FINDINGS
        return Type("object", schema=pointer)
    if kind == "array":
        return list_of(type_of_schema(f"{pointer}/items"))
    if kind == "string":
        if node.get("format") == "date":
            return DATE
        return Type("string", vocab=vocab)
    if kind in ("number", "integer"):
        if unit is None or unit not in UNITS:
            return number()
        dim, scale = UNITS[unit]
        return number(dim, scale)
    if kind == "boolean":
        return BOOL
    return ANY


def field_names(t: Type) -> list[str]:
    node = _resolve(t.schema)
    return sorted(node.get("properties", {}))


def field_type(t: Type, name: str) -> Type | None:
    node = _resolve(t.schema)
    if name not in node.get("properties", {}) or name in ("evidence", "warnings"):
        return None
    return type_of_schema(f"{t.schema}/properties/{name}")
