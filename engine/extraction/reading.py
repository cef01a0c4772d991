"""Reading any clinical passage: the facts of a text that is not (or not all of) an IMR letter.

Stage: extraction. Input: a passage of clinical text (a progress report, a note, a paragraph of
a letter) and the section it is read as:
- `summary`: a record of the patient (a clinical case summary, a progress report): findings,
  pain scores, medications, treatment courses, diagnoses, patient and injury;
- `rationale`: a reviewer's reasoning about one request: findings and medications only, as
  `mtus extract --mode full` reads an item's decision rationale.
Output: a dict in the shapes of `engine/schemas/case.schema.json` (the case's fact keys), with
evidence offsets into the passage as given. Raises `ValueError` for an unknown section.

The same reader serves letters (`pipeline.build_case`), clinicians' reports (`mtus precheck`)
and `mtus read`.
"""
from __future__ import annotations

from .facts import extract_facts, extract_item_facts

SECTIONS = ("summary", "rationale")


def read_text(text: str, section: str = "summary") -> dict:
    """The facts of `text` read as `section` (see the module docstring)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}: expected one of {', '.join(SECTIONS)}")
    if not text.strip():
        return {}
    if section == "summary":
        return extract_facts(text, [("summary", 0, len(text))])
    facts = extract_item_facts(text, [("rationale", 0, len(text))])
    facts.pop("requested_drug_weeks", None)
    return facts
