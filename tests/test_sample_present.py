"""benchmarks/sample_present.py: which statements are pooled and how the sample is drawn."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "sample_present.py"
spec = importlib.util.spec_from_file_location("sample_present", SCRIPT)
sample_present = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample_present)

TEXT = "Exam: tenderness, decreased range of motion to the neck. No spasm. The MRI shows a tear.\n"


def _ev(quote, section="summary"):
    start = TEXT.find(quote)
    return {"quote": quote, "section": section, "start": start, "end": start + len(quote)}


CASE = {
    "findings": {
        "limited_range_of_motion": {
            "status": "present", "evidence": _ev("decreased range of motion to the neck"),
            "body_parts": ["cervical_spine"],
            "mentions": [{"status": "absent", "evidence": _ev("No spasm.")},
                         {"status": "present", "evidence": _ev("The MRI shows a tear."), "side": "left"}]},
        "muscle_spasm": {"status": "absent", "evidence": _ev("No spasm.")},
    },
    "requests": [{"id": "r1", "item": "MRI", "findings": {
        "imaging_confirms_lesion": {"status": "present", "evidence": _ev("The MRI shows a tear.", "rationale")},
        "red_flags": {"status": "not_documented", "evidence": _ev("No spasm.", "rationale")}}}],
}


def test_present_statements_come_from_findings_mentions_and_requests():
    found = sample_present.present_statements("CM1", CASE, TEXT)
    assert [(s["scope"], s["concept"], s["quote"]) for s in found] == [
        ("case", "limited_range_of_motion", "decreased range of motion to the neck"),
        ("case", "limited_range_of_motion", "The MRI shows a tear."),
        ("r1 (MRI)", "imaging_confirms_lesion", "The MRI shows a tear."),
    ]
    assert found[0]["body_parts"] == ["cervical_spine"] and found[1]["side"] == "left"
    # a clause is shown with its whole sentence; a whole sentence is not repeated
    assert found[0]["sentence"] == "Exam: tenderness, decreased range of motion to the neck."
    assert "sentence" not in found[2]


def test_the_pool_counts_a_statement_of_both_modes_once():
    pooled = sample_present.pool([("CM1", CASE, TEXT), ("CM1", CASE, TEXT), ("CM2", CASE, None)])
    assert len(pooled) == 6
    assert [s["letter"] for s in pooled] == ["CM1"] * 3 + ["CM2"] * 3


def test_the_sample_is_deterministic_and_depends_on_the_seed():
    statements = [{"letter": f"CM{i:03}", "scope": "case", "concept": "c", "start": i} for i in range(200)]
    first = sample_present.sample(statements, 40, seed=12)
    assert first == sample_present.sample(list(statements), 40, seed=12)
    assert len(first) == 40 and len({s["start"] for s in first}) == 40
    assert first != sample_present.sample(statements, 40, seed=13)
    assert sample_present.sample(statements[:5], 40, seed=12) == statements[:5]


def test_only_even_case_numbers_are_measured():
    assert sample_present.measured(Path("CM16-0221706.pdf"))
    assert not sample_present.measured(Path("CM16-0221707.pdf"))


def test_a_missing_corpus_is_skipped_with_a_reason(tmp_path, capsys):
    assert sample_present.main([str(tmp_path / "absent")]) == 0
    assert "skipped: no dev letters" in capsys.readouterr().err
