"""`mtus check` on the seed letters: extraction and evaluation in one step.

In full mode (facts from the summary and from each item's rationale) the engine agrees with
the reviewer on all nine items. Summary mode is a blind prediction and is only required to run.
"""
from pathlib import Path

import pytest

from engine import case_from_dict, evaluate, load_rules
from engine.cli import main
from engine.extraction import extract_case

LETTERS = sorted((Path(__file__).parent.parent / "examples" / "letters").glob("*.txt"))
RULES = load_rules()


@pytest.mark.parametrize("letter", LETTERS, ids=[p.stem for p in LETTERS])
def test_full_mode_agrees_with_reviewer(letter):
    case = case_from_dict(extract_case(letter, mode="full"))
    decided = evaluate(RULES, case)["determinations"]
    assert decided
    for d in decided:
        assert d["imr_equivalent"] is not None, d["request"]
        assert d["imr_equivalent"].lower() == case.reviewer[d["request_id"]]["outcome"], d["request"]


def test_nine_items_in_the_seed_letters():
    assert sum(len(extract_case(p, mode="summary")["requests"]) for p in LETTERS) == 9


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_check_command_on_letters(mode, capsys):
    assert main(["check", "--mode", mode, *map(str, LETTERS)]) == 0
    out = capsys.readouterr().out
    assert out.count("predicted:") == 9 and out.count("reviewer:") == 9


def test_check_letter_json(capsys):
    assert main(["check", "--json", str(LETTERS[1])]) == 0
    import json
    doc = json.loads(capsys.readouterr().out)
    (d,) = doc["determinations"]
    assert d["outcome"] == "certify" and d["comparison"]["agrees"] is True


def test_not_a_letter_is_a_clear_error(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    prose = tmp_path / "notes.txt"
    prose.write_text("Shopping list: milk, eggs.\n")
    binary = tmp_path / "blob.pdf"
    binary.write_bytes(bytes(range(256)) * 4)
    assert main(["check", str(empty), str(prose), str(binary), str(LETTERS[0])]) == 3
    captured = capsys.readouterr()
    for name in ("empty.txt", "notes.txt", "blob.pdf"):
        assert name in captured.err
    assert "Traceback" not in captured.err
    assert "predicted:" in captured.out
