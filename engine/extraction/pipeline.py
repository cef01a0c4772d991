"""From a letter to a case: the extraction stage of the flow.

Input: a letter file (`extract_case`) or its text (`extract_text`), and a mode:
- `summary`: facts from the clinical case summary and the item lines only (a blind
  prediction: the decision rationale is never read);
- `full`: the same, plus, per item, the findings and medication durations the reviewer states
  in that item's rationale, as request-level facts.
Output: a case dict valid under `engine/schemas/case.schema.json`, with keys sorted. Raises
`LetterError` for a file that cannot be read or is not an IMR letter.

In both modes the reviewer's verdict ("is not medically necessary", "Upheld", "the criteria
... were met") is cut out of every span handed to the fact extractors, so it cannot become a
fact; the reviewer's outcomes go to `reviewer` only, which evaluation never reads.

The request parser (`engine.extraction.requests.parse_request`) and the fact extractors
(`engine.extraction.facts.extract_facts` / `extract_item_facts`) are imported when first
used; if a module is absent, extraction still gives a valid case, with a warning.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from ..paths import SCHEMA_DIR
from .letter import Item, Letter, parse_date, parse_letter, without_verdicts
from .linking import link_dependencies
from .reader import LetterError, normalise_text, read_letter

EXTRACTOR = "mtus-engine letter extractor 1"
MODES = ("summary", "full")

_FACT_KEYS = ("patient", "injury", "diagnoses", "medications", "treatments", "pain", "findings", "set_aside")
_HEADER_DATES = ("date_assigned", "decision_date", "ur_denial_date", "application_received")


@lru_cache(maxsize=None)
def _request_properties() -> frozenset[str]:
    with open(SCHEMA_DIR / "case.schema.json", encoding="utf-8") as handle:
        schema = json.load(handle)
    return frozenset(schema["$defs"]["request"]["properties"])


def _optional(module: str, name: str):
    """`name` from `engine.extraction.<module>`, or None when that module does not exist."""
    import importlib

    full = f"{__package__}.{module}"
    try:
        return getattr(importlib.import_module(full), name)
    except ModuleNotFoundError as err:
        if err.name == full:
            return None
        raise


@lru_cache(maxsize=None)
def _helpers() -> dict:
    return {
        "parse_request": _optional("requests", "parse_request"),
        "authorization_field": _optional("requests", "authorization_field"),
        "extract_facts": _optional("facts", "extract_facts"),
        "extract_item_facts": _optional("facts", "extract_item_facts"),
    }


def _evidence(text: str, section: str, start: int, end: int) -> dict:
    return {"section": section, "start": start, "end": end, "quote": text[start:end]}


def _canonical(value):
    """The same value with every mapping's keys sorted (lists keep their order)."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key in sorted(value):
            item = value[key]
            # most values are strings and numbers: no call for them
            out[key] = item if type(item) in _SCALARS else _canonical(item)
        return out
    if kind is list:
        return [item if type(item) in _SCALARS else _canonical(item) for item in value]
    if isinstance(value, (dict, list)):     # a subclass: rebuilt as the plain type
        return _canonical(dict(value) if isinstance(value, dict) else list(value))
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _fact_value(fact):
    return fact.get("value") if isinstance(fact, dict) else fact


# --------------------------------------------------------------------------- parts of the case

def _letter_facts(letter: Letter, warnings: list[str]) -> tuple[dict, dict | None]:
    """The `letter` header block, and the date of injury as a date fact (or None)."""
    out: dict = {}
    text = letter.text
    for name in _HEADER_DATES:
        part = letter.header.get(name)
        if part is None:
            continue
        value = parse_date(part.text)
        if value is None:
            warnings.append(f"header {name.replace('_', ' ')} {part.text!r} is not a date")
            continue
        out[name] = {"value": value, "evidence": _evidence(text, "header", part.start, part.end)}
    for name in ("case_number", "priority"):
        part = letter.header.get(name)
        if part is not None and part.text:
            value = part.text.split()[0] if name == "case_number" else part.text
            out[name] = {"value": value, "evidence": _evidence(text, "header", part.start, part.end)}
    injury_date = None
    part = letter.header.get("date_of_injury")
    if part is not None:
        value = parse_date(part.text)
        if value is None:
            warnings.append(f"header date of injury {part.text!r} is not a date")
        else:
            injury_date = {"value": value, "evidence": _evidence(text, "header", part.start, part.end)}
    return out, injury_date


def _request(item: Item, index: int, text: str, parse_request) -> dict:
    allowed = _request_properties()
    warnings: list[str] = []
    if parse_request is None:
        parsed = {"kind": "other"}
        warnings.append("request parser not available: the item line was not parsed")
    else:
        parsed = parse_request(item.request)
    request = {}
    for key, value in parsed.items():
        if value is None:
            continue
        if key not in allowed:
            warnings.append(f"request parser gave unknown field {key!r}; dropped")
            continue
        request[key] = value
    request["id"] = f"r{index}"
    request["text"] = item.request
    if item.original_request:
        request["original_request"] = item.original_request
    if item.authorized:
        request.pop("authorized", None)
        request.pop("substitute", None)
        classify = _helpers()["authorization_field"]
        field = "authorized" if parse_request is None or classify is None else classify(request, item.authorized)
        request[field] = item.authorized
    request["evidence"] = _evidence(text, "item", item.start, item.end)
    if warnings:
        request["warnings"] = list(request.get("warnings", [])) + warnings
    return request


def _prior_use(request: dict, medications, first_use=None) -> dict | float | int | None:
    """The duration of the first medication with the requested drug's generic; else 0 weeks when
    the text says the drug, or its class, is new to the patient (`first_use`, from the reader)."""
    drug = request.get("drug") or {}
    generic = drug.get("generic")
    if not generic:
        return None
    for med in medications or []:
        if med.get("generic") == generic and med.get("duration_weeks") is not None:
            return med["duration_weeks"]
    for entry in first_use or []:
        if entry.get("generic") == generic or (
                "generic" not in entry and entry.get("drug_class") and entry["drug_class"] == drug.get("drug_class")):
            return {"value": 0, "evidence": entry["evidence"]}
    return None


# Requests counted in visits or sessions whose earlier courses the summary may count.
_VISIT_KINDS = ("physical_therapy", "occupational_therapy", "aquatic_therapy", "chiropractic", "acupuncture")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+[\"'(\[]?[A-Z0-9]")


def _prior_visits(request: dict, treatments, text: str) -> dict | None:
    """The visits of the requested kind the patient has already had, from the counted courses
    of that kind in the treatment history. Courses listed in one sentence are added up ("physical
    therapy #4 July, #7 August, and September #3"); a course named again in another sentence
    ("He has completed twelve (12) physical therapy sessions") is the same course, so the largest
    sentence total counts. A course of another body part than the request's is not counted; a
    course named without a count is taken to be one of the counted ones. None when no course of
    the kind has a count."""
    kind = request.get("kind")
    if kind not in _VISIT_KINDS:
        return None
    part = request.get("body_part")
    courses = [t for t in treatments or []
               if t.get("kind") == kind and isinstance(t.get("count"), dict)
               and (part is None or t.get("body_part") in (None, part))]
    if not courses:
        return None
    courses.sort(key=lambda t: t["count"]["evidence"]["start"])
    groups: list[list[dict]] = [[courses[0]]]
    for course in courses[1:]:
        between = text[groups[-1][-1]["count"]["evidence"]["end"]:course["count"]["evidence"]["start"]]
        if _SENTENCE_END.search(between):
            groups.append([course])
        else:
            groups[-1].append(course)
    best = max(groups, key=lambda g: sum(t["count"]["value"] for t in g))
    first, last = best[0]["count"]["evidence"], best[-1]["count"]["evidence"]
    evidence = {"section": first["section"], "start": first["start"], "end": last["end"],
                "quote": text[first["start"]:last["end"]]}
    return {"value": sum(t["count"]["value"] for t in best), "evidence": evidence}


def _reviewer(letter: Letter, ids: list[str]) -> dict:
    reviewer: dict = {}
    if letter.licensure:
        reviewer["licensure"] = list(letter.licensure)
    if letter.specialty is not None and letter.specialty.text:
        reviewer["specialty"] = letter.specialty.text
    items = []
    for item, request_id in zip(letter.items, ids):
        if item.outcome is None:
            continue
        entry = {"request_id": request_id, "outcome": item.outcome,
                 "guidelines_cited": list(item.citation.guidelines),
                 "sections": list(item.citation.sections)}
        if item.citation.pages:
            entry["pages"] = item.citation.pages
        if item.claims_administrator_guideline is not None:
            entry["claims_administrator_guideline"] = item.claims_administrator_guideline.text
        if item.rationale is not None:
            entry["rationale"] = item.rationale.text
        items.append(entry)
    reviewer["items"] = items
    return reviewer


def fact_segments(letter: Letter) -> list[tuple[str, int, int]]:
    """What the case-level fact extractor reads, in both modes: the clinical case summary
    and the item lines, each with the reviewer's verdict phrases cut out."""
    text = letter.text
    segments: list[tuple[str, int, int]] = []
    if "summary" in letter.sections:
        start, end = letter.sections["summary"]
        segments.extend(without_verdicts(text, "summary", start, end, letter.doc))
    for item in letter.items:
        segments.extend(without_verdicts(text, "item", item.start, item.end, letter.doc))
    return segments


def rationale_segments(letter: Letter, item: Item) -> list[tuple[str, int, int]]:
    """What the item fact extractor reads in full mode: the item's rationale, verdicts cut out."""
    if item.rationale is None:
        return []
    return without_verdicts(letter.text, "rationale", item.rationale.start, item.rationale.end, letter.doc)


# --------------------------------------------------------------------------- the stage

SYNTHETIC_MARK = "SYNTHETIC LETTER generated by mtus-engine"


def build_case(letter: Letter, *, source: str | None = None, mode: str = "summary") -> dict:
    """The case for a parsed letter (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"unknown extraction mode {mode!r}: expected one of {', '.join(MODES)}")
    helpers = _helpers()
    text = letter.text
    warnings: list[str] = list(letter.warnings)

    case: dict = {"schema_version": 1}
    # Generated letters (engine.synthetic) say so on their first line; the case keeps the label.
    kind = "synthetic" if SYNTHETIC_MARK in text[:200] else "letter"
    source_info = {"kind": kind, "mode": mode, "extractor": EXTRACTOR}
    if source:
        source_info["file"] = source
    case["source"] = source_info

    letter_block, injury_date = _letter_facts(letter, warnings)
    if letter_block:
        case["letter"] = letter_block
    case_number = _fact_value(letter_block.get("case_number"))
    if case_number:
        case["case_id"] = case_number
    elif source:
        case["case_id"] = Path(source).stem

    extract_facts = helpers["extract_facts"]
    facts: dict = {}
    if extract_facts is None:
        warnings.append("fact extractor not available: no facts were read from the letter")
    else:
        facts = extract_facts(text, fact_segments(letter)) or {}
    for key, value in facts.items():
        if key in _FACT_KEYS:
            if value not in (None, {}, []):
                case[key] = value
        elif key == "warnings":
            warnings.extend(value or [])
        elif key == "first_use":
            pass                  # read below, into each request's prior use
        elif key == "letter":
            # dates the summary states, read only for a letter without a header's dates (the
            # text seed letters); a header's labelled dates are the letter's own
            block = dict(case.get("letter") or {})
            if not (block.get("ur_denial_date") or block.get("decision_date")):
                block.update(value)
                case["letter"] = block
        else:
            warnings.append(f"fact extractor gave unknown key {key!r}; dropped")
    if injury_date is not None:
        # The header's labelled "Date of Injury" is the claim's own record of it: it wins
        # over a date read from the summary's prose.
        injury = dict(case.get("injury") or {})
        injury["date"] = injury_date
        case["injury"] = injury

    parse_request = helpers["parse_request"]
    requests = [_request(item, index, text, parse_request) for index, item in enumerate(letter.items, 1)]
    link_dependencies(requests)
    medications = case.get("medications")
    for request in requests:
        prior = _prior_use(request, medications, facts.get("first_use"))
        if prior is not None:
            request["prior_use_weeks"] = prior
        visits = _prior_visits(request, case.get("treatments"), text)
        if visits is not None:
            request["prior_visits"] = visits

    if mode == "full":
        extract_item_facts = helpers["extract_item_facts"]
        if extract_item_facts is None:
            warnings.append("item fact extractor not available: rationales were not read")
        else:
            # "since DATE" in a rationale counts to the UR denial date (the time of the request)
            reference_date = _fact_value(letter_block.get("ur_denial_date"))
            for item, request in zip(letter.items, requests):
                segments = rationale_segments(letter, item)
                if not segments:
                    continue
                item_facts = extract_item_facts(text, segments, reference_date=reference_date) or {}
                if item_facts.get("findings"):
                    request["findings"] = dict(item_facts["findings"])
                if item_facts.get("set_aside"):
                    request["set_aside"] = list(item_facts["set_aside"])
                prior = _prior_use(request, item_facts.get("medications"), item_facts.get("first_use"))
                if prior is None and request.get("drug") and item_facts.get("requested_drug_weeks"):
                    prior = item_facts["requested_drug_weeks"]
                if prior is not None:
                    request["prior_use_weeks"] = prior

    case["requests"] = requests
    case["reviewer"] = _reviewer(letter, [r["id"] for r in requests])
    if warnings:
        case["warnings"] = warnings
    return _canonical(case)


def extract_text(text: str, *, source: str | None = None, mode: str = "summary",
                 require_outcome: bool = True) -> dict:
    """The case for a letter's text. The text is normalised first (normalising is idempotent,
    so text from `read_letter` is unchanged); evidence offsets refer to the normalised text.

    `require_outcome=False` accepts a letter whose item lines carry no outcome (a request not
    yet decided, or a decided letter with the outcomes blanked out); its items get no
    `reviewer` entry.
    """
    if mode not in MODES:
        raise ValueError(f"unknown extraction mode {mode!r}: expected one of {', '.join(MODES)}")
    normalised = normalise_text(text)
    where = source or "<text>"
    if not normalised.strip():
        raise LetterError(where, "letter_empty", "the letter holds no text")
    letter = parse_letter(normalised, path=where, require_outcome=require_outcome)
    return build_case(letter, source=source, mode=mode)


def extract_case(path, mode: str = "summary", *, require_outcome: bool = True) -> dict:
    """The case for a letter file (.txt or .pdf)."""
    name = os.fspath(path)
    text = read_letter(name)
    letter = parse_letter(text, path=name, require_outcome=require_outcome)
    return build_case(letter, source=name, mode=mode)
