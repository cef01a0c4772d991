"""The findings contrast sets (tests/contrast/README.md): set A at 95% or better; the other sets
against floors a regression would break (the held-out set D is only scored, never read)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.extraction.contrast import ContrastInvalid, check_valid, letter_for, load_items, score

CONTRAST = Path(__file__).parent / "contrast"

# The floor of each set: a few points under its score when the reader last changed
# (docs/extraction.md, "Measuring"). A set falling under its floor is a regression to read.
FLOORS = {"A": 0.95, "C": 0.90, "E": 0.82, "F": 0.84, "G": 0.84, "H": 0.76, "D": 0.64}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_contrast_set_scores_at_least_its_floor(name):
    result = score(load_items(CONTRAST / f"findings-{name}.jsonl"))
    assert result.total >= 200
    assert result.rate >= FLOORS[name], result.report(name)


def test_every_group_of_set_a_is_read_well():
    result = score(load_items(CONTRAST / "findings-A.jsonl"))
    for group, (right, total) in result.by(lambda p: p.group).items():
        assert right / total >= 0.9, (group, right, total)


def test_a_filler_that_yields_a_finding_makes_the_measurement_invalid():
    items = load_items(CONTRAST / "findings-A.jsonl")[:3]

    def extract_with_a_finding(text, source, mode):
        return {"findings": {"red_flags": {"status": "present"}}, "requests": []}

    with pytest.raises(ContrastInvalid, match="filler"):
        check_valid(items, extract_with_a_finding)


def test_an_item_is_read_in_its_section():
    item = {"id": "x", "phenomenon": "negation-pre", "section": "summary", "request": "MRI of the left knee",
            "text": "The  knee\nlocks.", "expect": {}}
    letter = letter_for(item)
    assert "follow-up visit on 3/2/2016.\n\nThe knee locks." in letter
    assert "MRI of the left knee: Upheld" in letter
    assert "Decision rationale: The submitted records were reviewed." in letter


def test_a_bad_line_is_named_with_its_file_and_line(tmp_path):
    path = tmp_path / "suite.jsonl"
    path.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"suite.jsonl:1: missing expect, phenomenon, request, section, text"):
        load_items(path)
    path.write_text("\n{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"suite.jsonl:2: not JSON"):
        load_items(path)
