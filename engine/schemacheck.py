"""A fast yes/no check of a document against one of the package's JSON Schemas.

jsonschema explains every problem, with paths and messages, but walks the schema anew for
each document: checking the shipped rule files and their ~1,000 test cases that way is most
of the time rules take to load. Valid documents are the rule, so the schema is compiled once
into nested closures that only answer "valid or not"; when the answer is "not", the caller
asks jsonschema for the problems. The answer is jsonschema's (Draft 2020-12, with its format
checker when `formats=True`): a keyword or format outside the subset this module knows is
refused when the schema is compiled, never skipped. jsonschema itself is not imported here, so
that reading valid documents does not pay for importing it.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable

Check = Callable[[object], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default",
                          "x-unit", "x-vocab", "$defs"})
_KNOWN = _ANNOTATIONS | {"type", "enum", "const", "pattern", "format", "minLength", "minimum", "maximum",
                         "minItems", "minProperties", "required", "properties", "additionalProperties",
                         "items", "oneOf", "$ref"}


def _is_integer(value) -> bool:
    return ((isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, float) and value.is_integer()))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _is_date(value) -> bool:
    """jsonschema's "date" format: YYYY-MM-DD (ASCII digits) naming a real day; not a string passes."""
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# The formats checked when asked for (others are refused when a schema names them).
_FORMATS: dict[str, Check] = {"date": _is_date}


def _equal(one, two) -> bool:
    """JSON equality as jsonschema has it: true and 1 differ, lists and objects compare by content."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False
    return one == two


class SchemaChecker:
    """`checker(document) -> bool` for a schema and the `$defs` its `$ref`s point into."""

    def __init__(self, schema: dict, *, root: dict | None = None, formats: bool = False):
        self.root = root if root is not None else schema
        self.formats = formats
        self._refs: dict[str, Check] = {}
        self._check = self._compile(schema)

    def __call__(self, document) -> bool:
        return self._check(document)

    # -- compilation ------------------------------------------------------------------------
    def _compile(self, schema) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        unknown = set(schema) - _KNOWN
        if unknown:
            raise ValueError(f"schema keyword(s) {sorted(unknown)} are not supported by engine.schemacheck")
        checks: list[Check] = []
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            tests = [_TYPES[name] for name in names]
            checks.append(tests[0] if len(tests) == 1 else (lambda v, tests=tests: any(t(v) for t in tests)))
        if "enum" in schema:
            checks.append(self._enum(schema["enum"]))
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda v: _equal(const, v))
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "format" in schema and self.formats:
            if schema["format"] not in _FORMATS:
                raise ValueError(f"format {schema['format']!r} is not supported by engine.schemacheck")
            checks.append(_FORMATS[schema["format"]])
        if "minLength" in schema:
            n = schema["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "minimum" in schema:
            low = schema["minimum"]
            checks.append(lambda v: not _is_number(v) or v >= low)
        if "maximum" in schema:
            high = schema["maximum"]
            checks.append(lambda v: not _is_number(v) or v <= high)
        if "minItems" in schema:
            n = schema["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= n)
        if "minProperties" in schema:
            n = schema["minProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) >= n)
        if "required" in schema:
            required = tuple(schema["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self._object(schema.get("properties", {}), schema.get("additionalProperties", True)))
        if "items" in schema:
            checks.append(self._items(self._compile(schema["items"])))
        if "oneOf" in schema:
            options = [self._compile(s) for s in schema["oneOf"]]
            checks.append(lambda v: sum(1 for option in options if option(v)) == 1)
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda v: first(v) and second(v)
        checks_t = tuple(checks)

        def every(v) -> bool:
            for check in checks_t:
                if not check(v):
                    return False
            return True
        return every

    @staticmethod
    def _items(item: Check) -> Check:
        def check(v) -> bool:
            if isinstance(v, list):
                for x in v:
                    if not item(x):
                        return False
            return True
        return check

    def _enum(self, values: list) -> Check:
        if all(isinstance(x, str) for x in values):
            allowed = frozenset(values)
            return lambda v: isinstance(v, str) and v in allowed
        return lambda v: any(_equal(x, v) for x in values)

    def _object(self, properties: dict, additional) -> Check:
        props = {name: self._compile(sub) for name, sub in properties.items()}
        if additional is True:
            extra = None
        elif additional is False:
            extra = False
        else:
            extra = self._compile(additional)

        def check(v) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                sub = props.get(key)
                if sub is not None:
                    if not sub(value):
                        return False
                elif extra is False:
                    return False
                elif extra is not None and not extra(value):
                    return False
            return True
        return check

    def _ref(self, ref: str) -> Check:
        """A local reference (#/$defs/name), compiled once and shared (references may recurse)."""
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, not {ref!r}")
        if ref not in self._refs:
            self._refs[ref] = None                         # being compiled: calls go through the table
            target = self.root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            self._refs[ref] = self._compile(target)
        refs = self._refs
        return lambda v: refs[ref](v)
