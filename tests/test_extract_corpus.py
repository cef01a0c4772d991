"""Sweep over the real dev letters (shared/corpus/dev-letters: 75 PDFs, 186 decided items,
20 overturned). Skipped when the corpus is not there."""
from __future__ import annotations

import collections
import json
import warnings
from pathlib import Path

import jsonschema
import pytest

from engine.extraction import extract_case, parse_letter, read_letter
from engine.paths import SCHEMA_DIR

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [ROOT.parent / "shared" / "corpus" / "dev-letters", Path("/work/shared/corpus/dev-letters")]
DEV = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
PDFS = sorted(DEV.glob("*.pdf")) if DEV.is_dir() else []

pytestmark = pytest.mark.skipif(not PDFS, reason=f"dev corpus not found (looked in {', '.join(map(str, CANDIDATES))})")

VALIDATOR = jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / "case.schema.json").read_text()))
HEADER_FIELDS = {"case_number", "date_assigned", "decision_date", "ur_denial_date", "priority",
                 "application_received"}


@pytest.fixture(scope="module")
def cases():
    return {path.name: extract_case(path, mode="summary") for path in PDFS}


def test_every_letter_gives_a_valid_case(cases):
    assert len(cases) == len(PDFS) == 75
    for name, case in cases.items():
        errors = sorted(VALIDATOR.iter_errors(case), key=lambda e: list(e.path))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].path)}"


def test_item_and_outcome_totals(cases):
    outcomes = [item["outcome"] for case in cases.values() for item in case["reviewer"]["items"]]
    requests = [r for case in cases.values() for r in case["requests"]]
    assert len(requests) == len(outcomes) == 186
    assert outcomes.count("overturned") == 20
    assert outcomes.count("upheld") == 166


def test_no_outcome_line_is_lost():
    # Every line of a letter that ends with ": Upheld" or ": Overturned" (or the outcome word
    # alone after a line ending in ":") belongs to exactly one item.
    for path in PDFS:
        text = read_letter(path)
        lines = text.splitlines()
        expected = 0
        for index, line in enumerate(lines):
            word = line.strip().rstrip(".").lower()
            if word.endswith((": upheld", ": overturned")) or (
                    word in ("upheld", "overturned") and index and lines[index - 1].rstrip().endswith(":")):
                expected += 1
        letter = parse_letter(text, path=str(path))
        assert len(letter.items) == expected, path.name
        assert all(item.outcome for item in letter.items), path.name


def test_every_item_has_its_parts(cases):
    for path in PDFS:
        letter = parse_letter(read_letter(path), path=str(path))
        for item in letter.items:
            assert item.claims_administrator_guideline is not None, (path.name, item.text)
            assert item.reviewer_guideline is not None, (path.name, item.text)
            assert item.rationale is not None and len(item.rationale.text) > 80, (path.name, item.text)
            assert "guideline:" not in item.text and "Decision rationale" not in item.text
            assert item.request and len(item.request) < 200, (path.name, item.request)
            assert not item.request.lower().endswith((" is", ":")), item.request


def test_partial_authorizations(cases):
    partial = [r for case in cases.values() for r in case["requests"] if "original_request" in r]
    assert len(partial) == 23
    for request in partial:
        assert request["authorized"] and request["text"] != request["original_request"]
        assert "was the original request" not in request["text"]
        assert "IMR eligible" not in request["text"]


def test_header_credentials_and_dates(cases):
    for name, case in cases.items():
        assert set(case["letter"]) == HEADER_FIELDS, name
        assert case["case_id"] == Path(name).stem == case["letter"]["case_number"]["value"]
        letter = case["letter"]
        assert letter["date_assigned"]["value"] <= letter["decision_date"]["value"], name
        assert letter["ur_denial_date"]["value"] <= letter["decision_date"]["value"], name
        injury_date = case["injury"]["date"]
        injury_date = injury_date["value"] if isinstance(injury_date, dict) else injury_date
        assert injury_date <= letter["ur_denial_date"]["value"], name
        assert letter["priority"]["value"] in ("Standard", "Expedited"), name
        assert case["reviewer"]["licensure"] and case["reviewer"]["specialty"], name


def test_every_item_has_a_kind_and_report_the_share_of_other(cases, record_property):
    kinds = collections.Counter()
    for name, case in cases.items():
        for request in case["requests"]:
            assert request.get("kind"), (name, request["text"])
            kinds[request["kind"]] += 1
    total = sum(kinds.values())
    share = kinds["other"] / total
    record_property("share_other", round(share, 3))
    record_property("kinds", dict(sorted(kinds.items())))
    warnings.warn(f"dev corpus: {total} items, kind 'other' {kinds['other']} ({share:.1%}); "
                  f"kinds {dict(kinds.most_common())}", UserWarning)


def test_full_mode_on_the_corpus_is_valid():
    for path in PDFS[:25]:
        case = extract_case(path, mode="full")
        errors = list(VALIDATOR.iter_errors(case))
        assert not errors, f"{path.name}: {errors[0].message}"
