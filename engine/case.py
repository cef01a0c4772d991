"""Cases: validation against the case schema and the view the evaluator reads.

Input: a case document (dict, JSON text or file). Output: a `Case`. Raises `CaseInvalid`
holding every problem, each with the JSON path of the offending value ($.requests[0].quantity).
The `reviewer` part is validated but never handed to evaluation.
"""
from __future__ import annotations

import difflib
import json
import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .compiler import READS
from .errors import CaseError, EngineError
from .regions import set_aside_reason
from .schemacheck import LOCAL_PREFIX, SchemaChecker
from .source import display_path
from .types import case_schema
from .vocab import Vocabularies, default_vocabularies

NO_DRUG = {"generic": "none", "drug_class": "none"}
ROOTS = ("letter", "patient", "injury", "diagnoses", "medications", "treatments", "pain")


class CaseInvalid(EngineError):
    """A case with one or more problems; `errors` lists each with its JSON path."""

    code = "case_schema_error"

    def __init__(self, errors: list[CaseError], file: str | None = None):
        self.errors = errors
        self.file = file
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the case", path=file)

    def render(self) -> str:
        prefix = f"{self.file}: " if self.file else ""
        lines = [f"{prefix}{e.path}: {e.code}: {e.message}" for e in self.errors]
        lines.append(f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}")
        return "\n".join(lines)


@lru_cache(maxsize=1)
def _validator():
    """jsonschema's validator, imported only when a case has problems to explain."""
    from jsonschema import Draft202012Validator
    return Draft202012Validator(case_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def _quick_check() -> SchemaChecker:
    """Valid or not under the schema alone, fast (the vocabularies are not consulted)."""
    return SchemaChecker(case_schema(), formats=True)


# vocabulary name (x-vocab / x-vocab-keys of the case schema) -> what its values are called
VOCABULARY_NOUNS = {"drug_class": "drug class", "generic": "generic drug", "body_part": "body part",
                    "modality": "modality", "diagnosis_tag": "diagnosis tag", "findings": "finding concept"}
_ERROR_CODES = {"findings": "unknown_concept"}
_CHECKS: dict[int, tuple] = {}


def _vocab_ids(vocab: Vocabularies) -> dict[str, frozenset]:
    return {name: vocab.ids(name) for name in VOCABULARY_NOUNS}


def _fast_check(vocab: Vocabularies) -> SchemaChecker:
    """Valid or not under the schema and the vocabularies, fast; made once per vocabularies."""
    entry = _CHECKS.get(id(vocab))
    if entry is None or entry[0] is not vocab:
        if len(_CHECKS) > 8:
            _CHECKS.clear()
        entry = _CHECKS[id(vocab)] = (vocab, SchemaChecker(case_schema(), formats=True, vocab=_vocab_ids(vocab)))
    return entry[1]


def _json_path(parts) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def json_path_parts(path: str) -> list:
    """`$.requests[0].quantity` -> ["requests", 0, "quantity"]."""
    return [name if name else int(index) for name, index in _PATH_PART.findall(path)]


def suggest(value: str, options) -> str | None:
    """The known value nearest to `value`, as "did you mean 'x'?", or None."""
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _message(error) -> tuple[str, str]:
    """(code, message) of a jsonschema error."""
    # oneOf failures on facts (bare value or {value, evidence}) read better from the bare branch.
    if error.validator == "oneOf" and error.context:
        # prefer the bare-value branch (oneOf/0): "'m' is not one of ['male', 'female']"
        inner = min(error.context, key=lambda e: (list(e.schema_path)[:1] != [0], len(e.absolute_schema_path), str(e.message)))
        return _message(inner)
    if error.validator == "enum" and isinstance(error.instance, str):
        hint = suggest(error.instance, [v for v in error.validator_value if isinstance(v, str)])
        if error.validator_value == case_schema()["$defs"]["kind"]["enum"]:
            text = f"{error.instance!r} is not a kind of request or treatment"
            return "unknown_request_kind", f"{text} ({hint})" if hint else text
        if hint:
            return "case_schema_error", f"{error.message} ({hint})"
    return "case_schema_error", error.message


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        target = case_schema()
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


_JSON_TYPE = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def _admits(node: dict, value) -> bool:
    """Whether a oneOf option is the one for `value` (the case schema's options differ in type)."""
    node = _resolve(node)
    kind = node.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    have = _JSON_TYPE.get(type(value), "null")
    return any(k == have or (k == "integer" and have == "number") for k in kinds)


def vocabulary_errors(data: dict, vocab: Vocabularies) -> list[CaseError]:
    """Values of a schema-valid case that the vocabularies do not know, in document order, each
    with its JSON path and the nearest known value."""
    ids = _vocab_ids(vocab)
    errors: list[CaseError] = []

    def unknown(name: str, value: str, path: str) -> None:
        noun = VOCABULARY_NOUNS[name]
        hint = suggest(value, ids[name])
        text = f"{value!r} is not a {noun} of the vocabulary"
        errors.append(CaseError(f"{text} ({hint})" if hint else text, code=_ERROR_CODES.get(name, f"unknown_{name}"),
                                path=path, hint=hint))

    def walk(value, node: dict, path: str) -> None:
        for part in (node, _resolve(node)):
            name = part.get("x-vocab")
            if name and isinstance(value, str) and value not in ids[name] and not (
                    part.get("x-local-values") and value.startswith(LOCAL_PREFIX)):
                unknown(name, value, path)
                break
        node = _resolve(node)
        if "oneOf" in node:
            for option in node["oneOf"]:
                if _admits(option, value):
                    walk(value, option, path)
            return
        if isinstance(value, dict):
            keys = node.get("x-vocab-keys")
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            for key, item in value.items():
                where = f"{path}.{key}"
                if keys and key not in ids[keys]:
                    unknown(keys, key, where)
                if key in properties:
                    walk(item, properties[key], where)
                elif isinstance(extra, dict):
                    walk(item, extra, where)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for index, item in enumerate(value):
                walk(item, node["items"], f"{path}[{index}]")

    walk({k: v for k, v in data.items() if k != "reviewer"}, case_schema(), "$")
    return errors


def _id_errors(data: dict) -> list[CaseError]:
    """Duplicate request ids, and reviewer items naming no request."""
    errors = []
    seen = set()
    requests = data.get("requests", [])
    for index, request in enumerate(requests):
        rid = request.get("id")
        if rid is not None:
            if rid in seen:
                errors.append(CaseError(f"duplicate request id {rid!r}", code="duplicate_request_id",
                                        path=f"$.requests[{index}].id"))
            seen.add(rid)
    reviewer = data.get("reviewer")
    if reviewer and reviewer.get("items"):
        ids = {request_id(r, i) for i, r in enumerate(requests)}
        for index, item in enumerate(reviewer["items"]):
            if item["request_id"] not in ids:
                errors.append(CaseError(f"request_id {item['request_id']!r} names no request of this case",
                                        code="unknown_request_id", path=f"$.reviewer.items[{index}].request_id"))
    return errors


def validate_case(data, vocab: Vocabularies | None = None) -> list[CaseError]:
    """Every problem of a case document, the most relevant first (empty: the case is valid).

    The fast path says valid or not (schema and vocabularies in one compiled check, then the
    request ids); only for a case with problems is jsonschema asked to explain them. Problems
    of the schema are listed first; only a case that passes the schema is checked against the
    vocabularies and for its request ids."""
    if not isinstance(data, dict):
        return [CaseError("a case is a JSON object", path="$")]
    vocab = vocab or default_vocabularies()
    if _fast_check(vocab)(data):
        return _id_errors(data)
    raw = [] if _quick_check()(data) else list(_validator().iter_errors(data))
    if raw:
        from jsonschema.exceptions import best_match
        first = best_match(raw)
        ordered = [first] + sorted(raw, key=lambda e: (list(map(str, e.absolute_path)), e.message))
        errors = []
        seen = set()
        for e in ordered:
            code, message = _message(e)
            key = (_json_path(e.absolute_path), message)
            if key not in seen:
                seen.add(key)
                errors.append(CaseError(message, code=code, path=key[0]))
        return errors
    return vocabulary_errors(data, vocab) + _id_errors(data)


def request_id(request: dict, index: int) -> str:
    return request.get("id") or f"r{index + 1}"


_FACT_FORM = frozenset({"value", "evidence"})


def _is_fact(node: dict) -> bool:
    """A schema node for a fact: a bare value or {value, evidence}."""
    node = _resolve(node)
    return "oneOf" in node and any("value" in _resolve(o).get("properties", {}) for o in node["oneOf"])


def _unwrapper(node: dict):
    """For a schema node, a function copying a value of it with its {value, evidence} facts made
    bare values (the evidence of each goes to its parent's "__evidence__" map, where traces
    find it), or None when no fact can be inside. Only what holds a wrapped fact is copied."""
    node = _resolve(node)
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        inner = _unwrapper(node["items"])
        if inner is None:
            return None

        def each(value):
            if type(value) is not list:
                return value
            out = list(map(inner, value))
            return value if all(map(operator.is_, out, value)) else out
        return each
    properties = node.get("properties")
    if not properties:
        return None
    facts = tuple(key for key, sub in properties.items() if _is_fact(sub))
    children = tuple((key, f) for key, sub in properties.items() if key not in facts
                     for f in [_unwrapper(sub)] if f is not None)
    if not facts and not children:
        return None
    plain = not children

    def unwrap(value):
        if type(value) is not dict:
            return value
        if plain and dict not in map(type, value.values()):     # no {value, evidence} fact inside
            return value
        out = value
        evidence = None
        for key in facts:
            item = value.get(key)
            if type(item) is dict and "value" in item and item.keys() <= _FACT_FORM:
                if out is value:
                    out = dict(value)
                out[key] = item["value"]
                if "evidence" in item:
                    if evidence is None:
                        evidence = {}
                    evidence[key] = item["evidence"]
        for key, child in children:
            item = value.get(key)
            if item is not None:
                bare = child(item)
                if bare is not item:
                    if out is value:
                        out = dict(value)
                    out[key] = bare
        if evidence:
            out["__evidence__"] = evidence
        return out
    return unwrap


@lru_cache(maxsize=1)
def _unwrappers() -> tuple:
    """(root name, unwrapper or None) for the roots rules read, and the request's unwrapper."""
    properties = case_schema()["properties"]
    return (tuple((name, _unwrapper(properties[name])) for name in ROOTS),
            _unwrapper(case_schema()["$defs"]["request"]))


_REGION_KEYS = frozenset({"body_parts", "mentions"})


def _names_regions(findings: dict) -> bool:
    """Whether some finding of the map names body regions (or has further mentions)."""
    return not all(map(_REGION_KEYS.isdisjoint, findings.values()))


def _statements(entry: dict) -> list:
    return [entry, *entry.get("mentions", ())]


def _visible(entry: dict, request: dict):
    """(the statement of `entry` the request sees, the set-aside (statement, reason) pairs): the
    first visible one in the order written, the finding's own statement before its `mentions`
    (the case's author, or the reader, decided which statement is the finding and lists the
    others strongest first)."""
    chosen = None
    aside = []
    for statement in _statements(entry):
        reason = set_aside_reason(statement, request)
        if reason is not None:
            aside.append((statement, reason))
        elif chosen is None:
            chosen = statement
    return chosen, aside


@dataclass
class Case:
    """A validated case and the environment the rules read for each request.

    The view rules read is made once: the case's parts with {value, evidence} facts made bare
    (only what holds such a fact is copied; the rest is the document's own objects, so a case
    must not be changed once made), then one environment per request, on first use. The
    `reviewer` part is never in it."""

    data: dict
    file: str | None = None

    def __post_init__(self):
        data = self.data
        root_unwrappers, unwrap_request = _unwrappers()
        roots = {}
        for name, unwrap in root_unwrappers:
            value = data.get(name)
            if value is not None or name in data:
                roots[name] = unwrap(value) if unwrap is not None else value
        self._roots = roots
        self._findings = findings = data.get("findings") or {}
        regional = _names_regions(findings)
        requests = []
        for raw in data.get("requests", ()):
            request = unwrap_request(raw) if type(raw) is dict else raw
            if request is raw:
                request = dict(raw)
            # A request known to be something other than a drug has no drug: its drug fields are
            # "none" (known), so drug rules are plainly not applicable rather than unknown.
            if "drug" not in request and request.get("kind") not in (None, "drug", "other"):
                request["drug"] = dict(NO_DRUG)
            own = request.get("findings")
            if own and not regional:
                regional = _names_regions(own)
            requests.append(request)
        self.requests = requests
        self.request_ids = [r.get("id") or f"r{i + 1}" for i, r in enumerate(data.get("requests", ()))]
        self._request_findings: list = [None] * len(requests)
        self._regional = regional

    def root(self, name: str):
        """The case's `name` part (letter, patient, ...) as rules read it; None when absent."""
        return self._roots.get(name)

    @property
    def case_id(self) -> str | None:
        return self.data.get("case_id")

    @property
    def reviewer(self) -> dict:
        """The reviewer's decisions by request id (for comparison only)."""
        return {item["request_id"]: item for item in (self.data.get("reviewer") or {}).get("items", [])}

    def environment(self, index: int) -> dict:
        """What rules see when deciding request `index`: never the reviewer. A fresh dict each
        call (evaluation writes into it), over the parts prepared once; the request's findings
        are worked out on first use."""
        findings = self._request_findings[index]
        request = self.requests[index]
        if findings is None:
            findings = self._request_findings[index] = (
                self._regional_findings(request) if self._regional else self._plain_findings(request))
        env = dict(self._roots)
        env["request"] = request
        env["findings"] = findings
        env[READS] = None
        return env

    def _plain_findings(self, request: dict) -> dict:
        """The findings a request reads when no finding names body regions: the case's, and
        the request's own over them."""
        findings = self._findings
        own = request.get("findings")
        if own:
            findings = dict(findings)
            for concept, entry in own.items():
                findings[concept] = dict(entry, scope="request")
        return findings

    def _regional_findings(self, request: dict) -> dict:
        """The findings a request reads when some statement names body regions (docs/semantics.md,
        "Findings and body regions"): per concept the first statement the request sees, the
        request's own over the case's; an unseen one reads as not mentioned, its reason kept."""
        own = request.get("findings") or {}
        findings = {}
        for concept in dict.fromkeys([*self._findings, *own]):
            aside = []
            chosen = None
            for scope, entries in (("request", own), ("case", self._findings)):
                entry = entries.get(concept)
                if entry is None:
                    continue
                seen, hidden = _visible(entry, request)
                aside += [(statement, reason, scope) for statement, reason in hidden]
                if seen is not None and chosen is None:
                    chosen = (seen, scope, entry)
            if chosen is None:
                findings[concept] = {"status": "missing", "scope": aside[0][2], "set_aside": tuple(aside)}
                continue
            statement, scope, entry = chosen
            if statement is entry and not aside:
                findings[concept] = entry if scope == "case" else dict(entry, scope="request")
                continue
            found = {"status": statement["status"], "scope": scope}
            if "evidence" in statement:
                found["evidence"] = statement["evidence"]
            if aside:
                found["set_aside"] = tuple(aside)
            findings[concept] = found
        return findings


def case_from_dict(data, *, file: str | None = None, vocab: Vocabularies | None = None) -> Case:
    errors = validate_case(data, vocab)
    if errors:
        raise CaseInvalid(errors, file)
    return Case(data, file)


def load_case(path) -> Case:
    """Read and validate a case JSON file."""
    shown = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError("no such file", code="file_not_found", path=shown) from None
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(f"cannot read the file: {err}", code="file_unreadable", path=shown) from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as err:
        raise CaseError(f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}",
                        code="json_syntax_error", path=shown) from None
    except _NotJSON as err:
        raise CaseError(f"not valid JSON: {err}", code="json_syntax_error", path=shown) from None
    except RecursionError:
        raise CaseError("not a case: nested too deeply", code="json_syntax_error", path=shown) from None
    return case_from_dict(data, file=shown)


class _NotJSON(ValueError):
    pass


def _no_constant(name: str):
    """NaN and Infinity, which Python's json accepts, are not JSON numbers."""
    raise _NotJSON(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:
        raise _NotJSON(f"the number {text[:40]} is out of range")
    return value
