"""A fast yes/no check of a document against one of the package's JSON Schemas.

Stage: rule loading and case preparation. Input: a schema (and, for cases, the vocabularies'
ids). Output: `SchemaChecker(schema)(document) -> bool`. Raises `ValueError` when the schema
uses a keyword or format this module does not know: it is refused when the checker is built,
never skipped.

jsonschema explains every problem, with paths and messages, but walks the schema anew for
each document. Valid documents are the rule, so the schema is compiled once into the text of
a few Python functions (compiled with `compile`; the text comes from our own schema, with
every schema value passed by name, never spliced into the code): the checks of a value are one
expression, and the properties of an object are found with one set lookup per key (properties
sharing the same check form one group). A case of some 1,500 bytes is checked in a few
microseconds. When the answer is "not valid", the caller asks jsonschema for the problems. The
answer is jsonschema's (Draft 2020-12, with its format checker when `formats=True`);
`tests/test_schemacheck.py` compares the two on the shipped files, the example cases and
thousands of random mutations. jsonschema itself is not imported here, so reading valid
documents does not pay for importing it.

With `vocab` ({vocabulary name: ids}), annotations of the case schema are enforced too:
- `x-vocab: NAME` on a string: the value is an id of that vocabulary, or, where the schema also
  says `x-local-values: true`, a local value starting with `x-`;
- `x-vocab-keys: NAME` on an object: every key is an id of that vocabulary.
A document failing only those is "not valid" here; `engine.case` then explains it.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default",
                          "x-unit", "x-vocab", "x-vocab-keys", "x-local-values", "$defs"})
_KNOWN = _ANNOTATIONS | {"type", "enum", "const", "pattern", "format", "minLength", "minimum", "maximum",
                         "minItems", "minProperties", "required", "properties", "additionalProperties",
                         "items", "oneOf", "$ref"}
LOCAL_PREFIX = "x-"

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


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


# Each type test as an expression over the name `{v}`.
_TYPES = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "({v} is True or {v} is False)",
    "null": "{v} is None",
    "integer": "(type({v}) is int or (isinstance({v}, int) and {v} is not True and {v} is not False)"
               " or (isinstance({v}, float) and {v}.is_integer()))",
    "number": "(type({v}) is int or type({v}) is float"
              " or (isinstance({v}, (int, float)) and {v} is not True and {v} is not False))",
}
_JSON_TYPES = {"object": {"object"}, "array": {"array"}, "string": {"string"}, "boolean": {"boolean"},
               "null": {"null"}, "integer": {"number"}, "number": {"number"}}


class _Generator:
    def __init__(self, root: dict, formats: bool, vocab: dict | None):
        self.root = root
        self.formats = formats
        self.vocab = vocab
        self.lines: list[str] = []
        self.names: dict[str, object] = {"_is_date": _is_date, "_equal": _equal}
        self.functions: dict[tuple, str] = {}     # (kind, id(schema node)) -> generated function
        self.expanding: list[str] = []            # $refs being expanded (a recursive one becomes a call)
        self.count = 0

    def name(self, prefix: str, value=None) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not None:
            self.names[name] = value
        return name

    def target(self, ref: str):
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, not {ref!r}")
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def types(self, schema) -> set | None:
        """The JSON types a node admits, when it says (through `type` or a `$ref`); else None."""
        if not isinstance(schema, dict):
            return None
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            return set().union(*(_JSON_TYPES[n] for n in names))
        if "$ref" in schema and schema["$ref"] not in self.expanding:
            return self.types(self.target(schema["$ref"]))
        return None

    # -- one schema node -> an expression over `var` ------------------------------------------
    def expr(self, schema, var: str) -> str:
        if schema is True:
            return "True"
        if schema is False:
            return "False"
        unknown = set(schema) - _KNOWN
        if unknown:
            raise ValueError(f"schema keyword(s) {sorted(unknown)} are not supported by engine.schemacheck")
        parts: list[str] = []
        # With a single type the tests below need not ask the type again.
        only = None
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            tests = [_TYPES[n].format(v=var) for n in names]
            parts.append(tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")")
            if len(names) == 1:
                only = names[0]
        is_str = "" if only == "string" else f"not isinstance({var}, str) or "
        is_num = "" if only in ("integer", "number") else f"not {_TYPES['number'].format(v=var)} or "
        if "enum" in schema:
            values = schema["enum"]
            if all(isinstance(x, str) for x in values):
                test = f"{var} in {self.name('E', frozenset(values))}"
                parts.append(test if only == "string" else f"(isinstance({var}, str) and {test})")
            else:
                options = self.name("E", tuple(values))
                parts.append(f"any(_equal(x_, {var}) for x_ in {options})")
        if "const" in schema:
            const = schema["const"]
            name = self.name("K", const)
            if isinstance(const, str):
                parts.append(f"{var} == {name}")
            elif isinstance(const, (int, float)) and not isinstance(const, bool):
                parts.append(f"({var} is not True and {var} is not False and {var} == {name})")
            else:
                parts.append(f"_equal({name}, {var})")
        date = "format" in schema and self.formats
        if date and schema["format"] != "date":
            raise ValueError(f"format {schema['format']!r} is not supported by engine.schemacheck")
        if "pattern" in schema and not (date and schema["pattern"] == _DATE.pattern):
            search = self.name("P", re.compile(schema["pattern"]).search)
            parts.append(f"({is_str}{search}({var}) is not None)")
        if date:     # the date format implies the pattern YYYY-MM-DD when the schema gives it too
            parts.append(f"_is_date({var})")
        if "minLength" in schema:
            parts.append(f"({is_str}len({var}) >= {int(schema['minLength'])})")
        if "minimum" in schema:
            parts.append(f"({is_num}{var} >= {self.name('N', schema['minimum'])})")
        if "maximum" in schema:
            parts.append(f"({is_num}{var} <= {self.name('N', schema['maximum'])})")
        if "minItems" in schema:
            parts.append(f"(not isinstance({var}, list) or len({var}) >= {int(schema['minItems'])})")
        if "minProperties" in schema:
            parts.append(f"(not isinstance({var}, dict) or len({var}) >= {int(schema['minProperties'])})")
        if self.vocab is not None and "x-vocab" in schema:
            ids = self.name("V", frozenset(self.vocab.get(schema["x-vocab"], ())))
            local = f" or {var}.startswith({LOCAL_PREFIX!r})" if schema.get("x-local-values") else ""
            parts.append(f"({is_str}{var} in {ids}{local})")
        if ("required" in schema or "properties" in schema or "additionalProperties" in schema
                or (self.vocab is not None and "x-vocab-keys" in schema)):
            parts.append(f"{self.object(schema, only == 'object')}({var})")
        if "items" in schema:
            parts.append(f"{self.array(schema['items'], only == 'array')}({var})")
        if "oneOf" in schema:
            options = schema["oneOf"]
            tests = [self.expr(s, var) for s in options]
            kinds = [self.types(s) for s in options]
            disjoint = all(k is not None for k in kinds) and sum(len(k) for k in kinds) == len(set().union(*kinds))
            if disjoint:   # at most one option can hold: "exactly one" is "any"
                parts.append("(" + " or ".join(f"({t})" for t in tests) + ")")
            else:
                parts.append("(" + " + ".join(f"({t})" for t in tests) + " == 1)")
        if "$ref" in schema:
            parts.append(self.ref(schema["$ref"], var))
        if not parts:
            return "True"
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def ref(self, ref: str, var: str) -> str:
        """A local reference (#/$defs/name), expanded in place; a reference met again while
        being expanded (a recursive schema) becomes a call of a function made for it."""
        if ref in self.expanding:
            key = ("ref", ref)
            name = self.functions.get(key)
            if name is None:
                name = self.functions[key] = self.name("r_")
                self.expanding.remove(ref)
                try:
                    body = self.expr(self.target(ref), "v")
                finally:
                    self.expanding.append(ref)
                self.lines += [f"def {name}(v):", f"    return {body}", ""]
            return f"{name}({var})"
        self.expanding.append(ref)
        try:
            return self.expr(self.target(ref), var)
        finally:
            self.expanding.pop()

    def array(self, items, checked: bool) -> str:
        key = ("array", id(items), checked)
        name = self.functions.get(key)
        if name is not None:
            return name
        name = self.functions[key] = self.name("a_")
        test = self.expr(items, "x")
        self.lines += [f"def {name}(v):"]
        if not checked:
            self.lines += ["    if not isinstance(v, list):", "        return True"]
        self.lines += ["    for x in v:",
                       f"        if not {test}:",
                       "            return False",
                       "    return True", ""]
        return name

    def object(self, schema: dict, checked: bool) -> str:
        """properties / additionalProperties / required (and x-vocab-keys) of an object."""
        key = ("object", id(schema), checked)
        name = self.functions.get(key)
        if name is not None:
            return name
        name = self.functions[key] = self.name("o_")
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        required = list(schema.get("required", ()))
        key_vocab = schema.get("x-vocab-keys") if self.vocab is not None else None
        # properties with the same test are one group: one set lookup finds a key's test
        groups: dict[str, list[str]] = {}
        for prop, sub in properties.items():
            groups.setdefault(self.expr(sub, "x"), []).append(prop)
        body = [f"def {name}(v):"]
        if not checked:
            body += ["    if not isinstance(v, dict):", "        return True"]
        for prop in required:
            body += [f"    if {prop!r} not in v:", "        return False"]
        if properties or additional is not True or key_vocab:
            # one dict lookup gives a key's group; the groups are told apart by small integers,
            # the largest group first
            ordered = sorted(groups.items(), key=lambda g: -len(g[1]))
            body.append("    for k, x in v.items():")
            first = True
            if ordered:
                dispatch = self.name("D", {prop: number for number, (_, keys) in enumerate(ordered) for prop in keys})
                body.append(f"        g = {dispatch}.get(k)")
            for number, (test, _) in enumerate(ordered):
                condition = f"g == {number}" if number < len(ordered) - 1 or additional is not True or key_vocab \
                    else "g is not None"
                body += [f"        {'if' if first else 'elif'} {condition}:",
                         f"            if not {test}:",
                         "                return False"]
                first = False
            if additional is not True or key_vocab:
                indent = "            "
                if not first:
                    body.append("        else:")
                else:
                    indent = "        "
                if additional is False:
                    body.append(f"{indent}return False")
                else:
                    if key_vocab:
                        ids = self.name("V", frozenset(self.vocab.get(key_vocab, ())))
                        body += [f"{indent}if k not in {ids}:", f"{indent}    return False"]
                    if additional is not True:
                        body += [f"{indent}if not {self.expr(additional, 'x')}:", f"{indent}    return False"]
        body += ["    return True", ""]
        self.lines += body
        return name


def compile_schema(schema: dict, *, formats: bool = True, vocab: dict | None = None,
                   root: dict | None = None) -> Callable[[object], bool]:
    """`check(document) -> bool` for `schema` (see the module docstring)."""
    generator = _Generator(root if root is not None else schema, formats, vocab)
    top = generator.expr(schema, "v")
    generator.lines += ["def check(v):", f"    return {top}", ""]
    namespace = dict(generator.names)
    exec(compile("\n".join(generator.lines), "<engine.schemacheck>", "exec"), namespace)  # our own text, from our schema
    check = namespace["check"]
    check.source = "\n".join(generator.lines)
    return check


class SchemaChecker:
    """`checker(document) -> bool` for a schema and the `$defs` its `$ref`s point into."""

    def __init__(self, schema: dict, *, root: dict | None = None, formats: bool = False, vocab: dict | None = None):
        self._check = compile_schema(schema, formats=formats, vocab=vocab, root=root)
        self.source = self._check.source

    def __call__(self, document) -> bool:
        return self._check(document)
