"""The `mtus` command, called through main(argv) with captured output."""
import json
import shutil
from pathlib import Path

from engine.cli import main

ROOT = Path(__file__).parent.parent
CASE = str(ROOT / "examples" / "cases" / "seed-000-norco.json")


def test_check_prints_prediction_beside_reviewer(capsys):
    """GIVEN a case from a decided letter WHEN checked THEN prediction and reviewer show side by side."""
    assert main(["check", CASE]) == 0
    out = capsys.readouterr().out
    assert "predicted: NON-CERTIFY (Upheld)   reviewer: Upheld   agree" in out
    assert "to document:" in out


def test_check_json_is_the_determination(capsys):
    assert main(["check", "--json", CASE]) == 0
    doc = json.loads(capsys.readouterr().out)
    (d,) = doc["determinations"]
    assert d["outcome"] == "non_certify" and d["comparison"] == {"reviewer_outcome": "Upheld", "agrees": True}


def test_check_bad_input_exit_3_and_goes_on(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["check", str(bad), CASE, str(tmp_path / "missing.json")]) == 3
    captured = capsys.readouterr()
    assert "bad.json" in captured.err and "missing.json" in captured.err
    assert "Norco 10/325mg #120" in captured.out


def test_rules_lint_and_test_pass_on_shipped_rules(capsys):
    assert main(["rules", "lint"]) == 0
    assert main(["rules", "test"]) == 0
    out = capsys.readouterr().out
    assert "criterion coverage: 100%" in out and " 0 failed" in out


def test_rule_errors_exit_4(tmp_path, capsys):
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    path = target / "mtus" / "chronic-pain-2009" / "opioids.yaml"
    path.write_text(path.read_text().replace("findings.side_effects_assessed", "findings.side_effect_assesed"))
    assert main(["rules", "lint", str(target)]) == 4
    err = capsys.readouterr().err
    assert "opioids.yaml:" in err and "unknown_concept" in err and "did you mean 'side_effects_assessed'" in err
    assert main(["check", "--rules", str(target), CASE]) == 4


def test_failing_rule_test_exit_1(tmp_path, capsys):
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    path = target / "mtus" / "chronic-pain-2009" / "muscle-relaxants.yaml"
    path.write_text(path.read_text().replace("request.prior_use_weeks > 3 weeks\n", "request.prior_use_weeks > 30 weeks\n", 1))
    assert main(["rules", "test", str(target)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_eval_expression(capsys):
    assert main(["eval", "findings.pain_relief or pain.with_meds < pain.without_meds", CASE]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "unknown"
    assert "findings.pain_relief = not_documented" in out
    assert main(["eval", "pain.current > 2 weeks"]) == 4


def test_usage_error_exit_2(capsys):
    assert main(["check"]) == 2
    assert main(["frobnicate"]) == 2
