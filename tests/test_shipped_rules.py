"""The shipped rule packs: each rule's own tests run under pytest, and every criterion is exercised."""
import pytest

from engine import load_rules
from engine.ruletest import run_rule_test, run_tests

RULES = load_rules()
OWN = [r for r in RULES.rules if r.inherited_from is None]  # carried-over copies are run by run_tests below


@pytest.mark.parametrize("rule,test", [(r, t) for r in OWN for t in r.tests],
                         ids=[f"{r.id}:{t.name}" for r in OWN for t in r.tests])
def test_rule_case(rule, test):
    result, _ = run_rule_test(rule, test, RULES)
    assert result.outcome == "PASS", "; ".join(result.problems)


def test_every_criterion_is_exercised_and_every_rule_tested_three_ways():
    report = run_tests(RULES)
    assert report.uncovered_criteria() == []
    assert report.rules_lacking_tests() == []
    assert report.criterion_coverage == 1.0


def test_every_rule_cites_guideline_section_and_pages():
    for rule in RULES.rules:
        assert rule.citation.guideline and rule.citation.section and rule.citation.pages, rule.id


def test_no_rule_names_a_seed_letter():
    import pathlib
    for path in pathlib.Path(RULES.root).rglob("*.yaml"):
        text = path.read_text()
        for marker in ("seed", "000_83b9", "001_178c", "002_85a3", "003_572d", "004_94ff", "CM16-", "CM17-"):
            assert marker not in text, f"{path} mentions {marker}"


def test_a_broken_rule_test_is_reported(tmp_path):
    import shutil
    target = tmp_path / "rules"
    shutil.copytree(RULES.root, target)
    path = target / "mtus" / "chronic-pain-2009" / "muscle-relaxants.yaml"
    path.write_text(path.read_text().replace("expect: {rule: holds, outcome: non_certify}\n      - name: exceptional",
                                             "expect: {rule: fails, outcome: certify}\n      - name: exceptional", 1))
    report = run_tests(load_rules(target))
    # the rule and the packs that inherit it each report the broken test
    assert {(r.rule.id.split(".", 2)[2], r.test.name) for r in report.failed} == {
        ("muscle_relaxants.carisoprodol", "Soma requested")}
    assert all(r.problems == ["rule fails expected, got holds", "outcome certify expected, got non_certify"]
               for r in report.failed)
