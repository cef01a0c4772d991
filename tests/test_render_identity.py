"""The compact record renders to the same determination JSON, byte for byte, as the evaluator
that built the JSON while deciding (kept in tests/reference/old_evaluator.py); and the text
report made from records (`mtus check` without --json) is the one made from that JSON
(tests/reference/old_report.py), with both --explain settings.

Over every example case, the seed letters in both extraction modes, and the development
letters in both modes when the corpus is there (skipped, saying where it looked, when not).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import case_from_dict, load_case, load_rules
from engine.evaluator import decide_case, evaluate_case, render_case
from engine.extraction import extract_case
from engine.report import render_text, to_json
from tests.reference import old_evaluator, old_report

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()
EXAMPLE_CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))
SEED_LETTERS = sorted((ROOT / "examples" / "letters").glob("*.txt"))
CANDIDATES = [ROOT.parent / "shared" / "corpus" / "dev-letters", Path("/work/shared/corpus/dev-letters")]
DEV = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
DEV_LETTERS = sorted(DEV.glob("*.pdf")) if DEV.is_dir() else []


def _same_bytes(case) -> None:
    old = old_evaluator.evaluate_case(RULES, case)
    expected = to_json(old)
    record = decide_case(RULES, case)
    assert to_json(render_case(record)) == expected
    assert to_json(evaluate_case(RULES, case)) == expected
    for explain in ("fails", "full"):
        assert render_text(record, case.reviewer, explain=explain, title=case.file) == \
            old_report.render_text(old, case.reviewer, explain=explain, title=case.file)


def test_the_sweep_has_inputs():
    assert len(EXAMPLE_CASES) >= 40 and len(SEED_LETTERS) == 5


@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=lambda p: p.name)
def test_example_case_renders_identically(path):
    _same_bytes(load_case(path))


@pytest.mark.parametrize("mode", ["summary", "full"])
@pytest.mark.parametrize("path", SEED_LETTERS, ids=lambda p: p.name)
def test_seed_letter_renders_identically(path, mode):
    _same_bytes(case_from_dict(extract_case(path, mode=mode), file=path.name))


@pytest.mark.skipif(not DEV_LETTERS, reason=f"dev corpus not found (looked in {', '.join(map(str, CANDIDATES))})")
@pytest.mark.parametrize("mode", ["summary", "full"])
def test_dev_letters_render_identically(mode):
    checked = 0
    for path in DEV_LETTERS:
        _same_bytes(case_from_dict(extract_case(path, mode=mode), file=path.name))
        checked += 1
    assert checked == len(DEV_LETTERS) == 75
