"""Malformed rule files: every problem is reported with file, line, column, the source line
with a caret, and a stable code.

Each snippet marks the expected error position with `§` (removed before loading).
"""
import textwrap

import pytest

from engine import ErrorList, load_rules

PACK = """\
pack:
  id: test.pack
  title: Test pack
  guideline: Test guideline
  edition: "1"
  version: "1"
  source: mtus
  effective_from: "2009-07-18"
"""

GOOD_TESTS = """\
    tests:
      - name: t
        case: {requests: [{text: x}]}
        expect: {rule: not_applicable}
"""


def rule(when='request.drug.drug_class == "opioid"', criteria=None, extra=""):
    criteria = criteria if criteria is not None else """\
    criteria:
      - id: c1
        requires: Something is documented.
        test: findings.pain_relief
"""
    return f"""\
rules:
  - id: test.rule
    title: A rule
    effect: support
    citation: {{guideline: G, section: S, pages: "1"}}
    when: {when}
{criteria}    rationale: Because.
{extra}{GOOD_TESTS}"""


CASES = [
    # (name, rule file text with §, expected code, expected message part)
    ("yaml syntax", "rules:\n  - id: x\n    title: [unclosed\n§", "yaml_syntax_error", "YAML syntax error"),
    ("missing key", rule().replace("    rationale: Because.\n", "").replace("  - id: test.rule", "  - §id: test.rule"),
     "rule_schema_error", "rationale"),
    ("unexpected key", rule(extra="    §severity: high\n"), "rule_schema_error", "unexpected key 'severity'"),
    ("bad effect", rule().replace("effect: support", "effect: §supports"), "rule_schema_error", "support"),
    ("bad rule id", rule().replace("id: test.rule", "id: §Test Rule"), "rule_schema_error", "does not match"),
    ("syntax: assignment", rule(when='request.drug.drug_class §= "opioid"'), "condition_syntax_error", "use == to compare"),
    ("syntax: ends early", rule(when='request.drug.drug_class == "opioid" and§'), "condition_syntax_error", "ends too early"),
    ("syntax: stray token", rule(when='request.drug.drug_class == == §"opioid"'.replace('== == §', '== §== ')),
     "condition_syntax_error", "unexpected"),
    ("unknown path root", rule(when='§requst.drug.drug_class == "opioid"'), "unknown_field", "did you mean 'request'"),
    ("unknown field", rule(when='§request.drug.clas == "opioid"'), "unknown_field", "has no field `clas`"),
    ("unknown concept", rule(criteria="""\
    criteria:
      - id: c1
        requires: Something.
        test: §findings.functional_improvment
"""), "unknown_concept", "functional_improvement"),
    ("unknown drug class", rule(when='request.drug.drug_class == §"opiate"'), "unknown_value", "not a known drug class"),
    ("unknown generic", rule(when='request.drug.generic in ["carisoprodol", §"somma"]'), "unknown_value", "generic"),
    ("unknown function", rule(when='§median(pain.current) > 3'), "unknown_function", "unknown function `median`"),
    ("type mismatch", rule(when='§request.quantity == "sixty"'), "type_error", "cannot compare a plain number with a string"),
    ("unit mismatch", rule(when='§request.prior_use_weeks > 120 mg'), "unit_error", "cannot compare a time"),
    ("unit mismatch in arithmetic", rule(when='§request.prior_use_weeks + 2 mg > 3 weeks'), "unit_error", "cannot compute"),
    ("condition not boolean", rule(when='§pain.current + 1'), "type_error", "must be true or false"),
    ("reviewer forbidden", rule(when='§reviewer.items == []'), "forbidden_field", "never read by rules"),
    ("set-aside statements forbidden", rule(when='§set_aside == []'), "forbidden_field", "not facts about the patient"),
    ("multi-line folded condition", rule(when=""">
      request.drug.drug_class == "opioid"
      and §findings.painrelief"""), "unknown_concept", "pain_relief"),
    ("invalid test case", rule().replace("case: {requests: [{text: x}]}", "case: {requests: [{text: x, quantity: §-1}]}"),
     "case_schema_error", "quantity"),
    ("duplicate key", rule().replace("    rationale: Because.\n", "    rationale: Because.\n    §rationale: Again.\n"),
     "duplicate_key", "duplicate key 'rationale'"),
    ("support rule without criteria", rule(criteria="").replace("  - id: test.rule", "  - §id: test.rule"),
     "rule_schema_error", "needs at least one criterion"),
]


def _place(text: str):
    index = text.index("§")
    clean = text.replace("§", "", 1)
    line = clean.count("\n", 0, index) + 1
    column = index - (clean.rfind("\n", 0, index) + 1) + 1
    return clean, line, column


@pytest.mark.parametrize("name,text,code,message", CASES, ids=[c[0] for c in CASES])
def test_rule_error_has_place_code_and_caret(tmp_path, name, text, code, message):
    clean, line, column = _place(text)
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "broken.yaml").write_text(clean)
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    errors = [e for e in info.value.errors if e.code == code]
    assert errors, info.value.render()
    error = errors[0]
    assert error.location.file.endswith("broken.yaml")
    assert (error.location.line, error.location.column) == (line, column), error.render()
    assert message in error.render(), error.render()
    rendered = error.render().splitlines()
    assert rendered[0].startswith(f"{error.location.file}:{line}:{column}: {code}: ")
    assert rendered[1] == " | " + clean.splitlines()[line - 1] if line <= len(clean.splitlines()) else True
    assert rendered[2].endswith("^") and len(rendered[2]) == 3 + column


def test_all_errors_in_all_files_are_reported(tmp_path):
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "a.yaml").write_text(rule(when='requst.x == 1'))
    (tmp_path / "b.yaml").write_text(rule(when='request.quantity == "x"').replace("test.rule", "test.rule_b"))
    (tmp_path / "c.yaml").write_text(rule(criteria="""\
    criteria:
      - id: c1
        requires: A.
        test: findings.nope
      - id: c2
        requires: B.
        test: pain.current > 2 weeks
""").replace("test.rule", "test.rule_c"))
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    codes = [(e.location.file.rsplit("/", 1)[-1], e.code) for e in info.value.sorted()]
    assert codes == [("a.yaml", "unknown_field"), ("b.yaml", "type_error"),
                     ("c.yaml", "unknown_concept"), ("c.yaml", "unit_error")]
    assert info.value.render().endswith("4 errors")


def test_a_condition_met_again_is_reported_at_each_place(tmp_path):
    """Identical condition texts are compiled once; their errors still point at every place."""
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "a.yaml").write_text(rule(when='requst.x == 1'))
    (tmp_path / "b.yaml").write_text("\n\n" + rule(when='requst.x == 1').replace("test.rule", "test.rule_b"))
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    places = [(e.location.file.rsplit("/", 1)[-1], e.location.line, e.location.column, e.code)
              for e in info.value.sorted()]
    assert places == [("a.yaml", 6, 11, "unknown_field"), ("b.yaml", 8, 11, "unknown_field")]


def test_duplicate_rule_ids_across_files(tmp_path):
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "a.yaml").write_text(rule())
    (tmp_path / "b.yaml").write_text(rule())
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    assert [e.code for e in info.value.errors] == ["duplicate_rule_id"]
    assert "b.yaml" in info.value.errors[0].location.file


def test_rules_file_outside_a_pack(tmp_path):
    (tmp_path / "a.yaml").write_text(rule())
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    assert [e.code for e in info.value.errors] == ["no_pack"]


def test_yaml_tags_cannot_run_code(tmp_path):
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "a.yaml").write_text("rules: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ErrorList) as info:
        load_rules(tmp_path)
    assert info.value.errors[0].code == "yaml_syntax_error"
    assert info.value.errors[0].location.line == 1
