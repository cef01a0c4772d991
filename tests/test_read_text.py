"""engine.extraction.read_text: the facts of any clinical passage."""
import pytest

from engine.extraction import read_text


def test_summary_passage_gives_case_facts_with_offsets_into_the_passage():
    text = "The patient is a 45 year old male. Straight leg raise is positive on the left."
    facts = read_text(text)
    assert facts["patient"]["age"]["value"] == 45
    ev = facts["findings"]["radiculopathy_on_exam"]["evidence"]
    assert text[ev["start"]:ev["end"]] == ev["quote"]


def test_rationale_passage_gives_findings_only():
    facts = read_text("There is no documentation of functional improvement.", section="rationale")
    assert facts["findings"]["functional_improvement"]["status"] == "not_documented"
    assert "patient" not in facts


def test_unknown_section_is_an_error_and_empty_text_has_no_facts():
    with pytest.raises(ValueError, match="unknown section"):
        read_text("text", section="plan")
    assert read_text("   ") == {}


def test_mtus_read_prints_the_facts_of_a_file_and_names_a_missing_one(tmp_path, capsys):
    """GIVEN a passage in a file WHEN `mtus read` runs THEN its findings are printed as JSON;
    a missing file exits 3 with the file named."""
    import json

    from engine.cli import main
    note = tmp_path / "note.txt"
    note.write_text("There is no documentation of functional improvement.", encoding="utf-8")
    assert main(["read", "--section", "rationale", str(note)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"]["functional_improvement"]["status"] == "not_documented"
    assert main(["read", str(tmp_path / "absent.txt")]) == 3
    assert "absent.txt" in capsys.readouterr().err


def test_the_package_exports_the_reader():
    """engine.read_text is the public name of the reader (docs/api.md)."""
    import engine
    facts = engine.read_text("Straight leg raise is positive on the left.")
    finding = facts["findings"]["radiculopathy_on_exam"]
    assert (finding["status"], finding["side"]) == ("present", "left")
    assert "read_text" in engine.__all__
