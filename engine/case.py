"""Cases: validation against the case schema and the view the evaluator reads.

Input: a case document (dict, JSON text or file). Output: a `Case`. Raises `CaseInvalid`
holding every problem, each with the JSON path of the offending value ($.requests[0].quantity).
The `reviewer` part is validated but never handed to evaluation.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import CaseError, EngineError
from .schemacheck import SchemaChecker
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
    """Valid or not, fast; jsonschema (`_validator`) is asked for the problems only when not."""
    return SchemaChecker(case_schema(), formats=True)


def _json_path(parts) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def json_path_parts(path: str) -> list:
    """`$.requests[0].quantity` -> ["requests", 0, "quantity"]."""
    return [name if name else int(index) for name, index in _PATH_PART.findall(path)]


def _message(error) -> str:
    # oneOf failures on facts (bare value or {value, evidence}) read better from the bare branch.
    if error.validator == "oneOf" and error.context:
        # prefer the bare-value branch (oneOf/0): "'m' is not one of ['male', 'female']"
        inner = min(error.context, key=lambda e: (list(e.schema_path)[:1] != [0], len(e.absolute_schema_path), str(e.message)))
        return inner.message
    return error.message


def validate_case(data, vocab: Vocabularies | None = None) -> list[CaseError]:
    """Every problem of a case document, the most relevant first."""
    if not isinstance(data, dict):
        return [CaseError("a case is a JSON object", path="$")]
    raw = [] if _quick_check()(data) else list(_validator().iter_errors(data))
    errors = []
    if raw:
        from jsonschema.exceptions import best_match
        first = best_match(raw)
        ordered = [first] + sorted(raw, key=lambda e: (list(map(str, e.absolute_path)), e.message))
        seen = set()
        for e in ordered:
            key = (_json_path(e.absolute_path), _message(e))
            if key not in seen:
                seen.add(key)
                errors.append(CaseError(key[1], path=key[0]))
        return errors
    vocab = vocab or default_vocabularies()
    concepts = vocab.findings

    def check_findings(findings, where):
        for concept in findings or {}:
            if concept not in concepts:
                errors.append(CaseError(f"{concept!r} is not a finding concept of the vocabulary",
                                        code="unknown_concept", path=f"{where}.{concept}"))

    check_findings(data.get("findings"), "$.findings")
    seen = set()
    for index, request in enumerate(data.get("requests", [])):
        check_findings(request.get("findings"), f"$.requests[{index}].findings")
        rid = request.get("id")
        if rid is not None:
            if rid in seen:
                errors.append(CaseError(f"duplicate request id {rid!r}", code="duplicate_request_id",
                                        path=f"$.requests[{index}].id"))
            seen.add(rid)
    ids = {request_id(r, i) for i, r in enumerate(data.get("requests", []))}
    for index, item in enumerate((data.get("reviewer") or {}).get("items", [])):
        if item["request_id"] not in ids:
            errors.append(CaseError(f"request_id {item['request_id']!r} names no request of this case",
                                    code="unknown_request_id", path=f"$.reviewer.items[{index}].request_id"))
    return errors


def request_id(request: dict, index: int) -> str:
    return request.get("id") or f"r{index + 1}"


def _unwrap(value):
    """Copy a case value, turning {value, evidence} facts into bare values.

    The evidence of an unwrapped fact goes to its parent's "__evidence__" map under the
    fact's key, where traces find it.
    """
    if isinstance(value, dict):
        out = {}
        evidence = {}
        for key, item in value.items():
            if isinstance(item, dict) and "value" in item and item.keys() <= {"value", "evidence"} and key != "findings":
                out[key] = item["value"]
                if "evidence" in item:
                    evidence[key] = item["evidence"]
            else:
                out[key] = _unwrap(item)
        if evidence:
            out["__evidence__"] = evidence
        return out
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


@dataclass
class Case:
    """A validated case and the per-request environments the rules read."""

    data: dict
    file: str | None = None

    def __post_init__(self):
        view = _unwrap({k: v for k, v in self.data.items() if k != "reviewer"})
        self._roots = {name: view[name] for name in ROOTS if name in view}
        self._findings = {k: dict(v, scope="case") for k, v in (view.get("findings") or {}).items()}
        self.requests = view.get("requests", [])
        for request in self.requests:
            # A request known to be something other than a drug has no drug: its drug fields are
            # "none" (known), so drug rules are plainly not applicable rather than unknown.
            if "drug" not in request and request.get("kind") not in (None, "drug", "other"):
                request["drug"] = dict(NO_DRUG)
        self.request_ids = [request_id(r, i) for i, r in enumerate(self.data.get("requests", []))]

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
        """What rules see when deciding request `index`: never the reviewer."""
        request = self.requests[index]
        findings = self._findings
        own = request.get("findings")
        if own:
            findings = dict(findings)
            for concept, entry in own.items():
                findings[concept] = dict(entry, scope="request")
        env = dict(self._roots)
        env["request"] = request
        env["findings"] = findings
        env["__reads__"] = None
        return env


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
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise CaseError(f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}",
                        code="json_syntax_error", path=shown) from None
    return case_from_dict(data, file=shown)
