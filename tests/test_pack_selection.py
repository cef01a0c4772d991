"""The guideline edition is chosen by the request's date; ODG applies only where MTUS is silent."""
import pytest

from engine import case_from_dict, evaluate, load_rules

RULES = load_rules()
NORCO = {"text": "Norco 10/325mg #120", "drug": {"generic": "hydrocodone/acetaminophen", "drug_class": "opioid"}}


def decide(request, letter=None, rules=RULES):
    case = {"requests": [request]}
    if letter:
        case["letter"] = letter
    (d,) = evaluate(rules, case_from_dict(case))["determinations"]
    return d


@pytest.mark.parametrize("day,pack", [
    ("2010-03-01", "mtus.cpmtg_2009"),
    ("2016-07-28", "mtus.cpmtg_2009"),   # last day of the 2009 edition
    ("2016-07-29", "mtus.opioids_2016"),  # the 2016 opioid guideline from its first day
    ("2017-11-30", "mtus.opioids_2016"),
    ("2017-12-01", "mtus.acoem_2017"),    # ACOEM-based MTUS
    ("2024-05-10", "mtus.acoem_2017"),
])
def test_pack_by_date_of_service(day, pack):
    d = decide(dict(NORCO, date_of_service=day))
    assert d["guideline"]["basis"] == "date_of_service" and d["guideline"]["date"] == day
    assert [p["id"] for p in d["guideline"]["packs"]] == [pack]
    assert all(r["pack"] == pack and r["id"].startswith(pack + ".") for r in d["rules"])
    assert all(pack.split(".")[1].split("_")[0] in r["id"] for r in d["rules"])


def test_muscle_relaxant_in_2016_uses_the_2016_chronic_pain_guideline():
    d = decide({"text": "Soma 350mg #60", "drug": {"generic": "carisoprodol", "drug_class": "muscle_relaxant"},
                "date_of_service": "2017-01-05"})
    assert [p["id"] for p in d["guideline"]["packs"]] == ["mtus.cpmtg_2016"]
    cited = d["rules"][0]["citation"]
    assert cited["guideline"] == "MTUS Chronic Pain Medical Treatment Guidelines (2016)"
    assert d["outcome"] == "non_certify"


def test_without_date_of_service_the_ur_date_then_the_letter_date_decide():
    d = decide(NORCO, {"ur_denial_date": "2015-02-01", "decision_date": "2017-03-01"})
    assert (d["guideline"]["basis"], d["guideline"]["packs"][0]["id"]) == ("ur_denial_date", "mtus.cpmtg_2009")
    d = decide(NORCO, {"decision_date": "2017-03-01"})
    assert (d["guideline"]["basis"], d["guideline"]["packs"][0]["id"]) == ("decision_date", "mtus.opioids_2016")


def test_undated_request_assumes_the_newest_and_says_so():
    d = decide(NORCO)
    assert d["guideline"]["basis"] == "assumed_newest" and d["guideline"]["date"] is None
    assert "no date" in d["guideline"]["note"]
    assert d["guideline"]["packs"][0]["id"] == "mtus.acoem_2017"


def test_no_pack_in_force_gives_no_rule_and_says_why():
    d = decide(dict(NORCO, date_of_service="2005-01-01"))
    assert d["outcome"] == "no_rule" and "no rule pack is in force on 2005-01-01" in d["guideline"]["note"]


PACK = """\
pack:
  id: {id}
  title: {title}
  guideline: {title}
  edition: "1"
  version: "1"
  source: {source}
  effective_from: "2009-01-01"
"""
RULE = """\
rules:
  - id: {id}.rule
    title: A rule for {what}
    effect: support
    citation: {{guideline: {title}, section: S, pages: "1"}}
    when: request.drug.drug_class == "{what}"
    criteria:
      - {{id: c, requires: Insomnia is documented., test: findings.insomnia}}
    rationale: Because.
    tests:
      - {{name: holds, case: {{findings: {{insomnia: {{status: present}}}}, requests: [{{text: x, drug: {{drug_class: {what}}}}}]}}, expect: {{rule: holds}}}}
"""


def test_odg_applies_only_where_mtus_has_no_rule(tmp_path):
    for folder, pid, source, what in (("mtus", "t.mtus", "mtus", "opioid"), ("odg", "t.odg", "odg", "sleep_aid"),
                                      ("odg2", "t.odg2", "odg", "opioid")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "pack.yaml").write_text(PACK.format(id=pid, title=pid.upper(), source=source))
        (tmp_path / folder / "r.yaml").write_text(RULE.format(id=pid, title=pid.upper(), what=what))
    rules = load_rules(tmp_path)
    sleep = decide({"text": "Ambien 10mg", "drug": {"generic": "zolpidem", "drug_class": "sleep_aid"},
                    "date_of_service": "2015-01-01"}, rules=rules)
    assert [p["id"] for p in sleep["guideline"]["packs"]] == ["t.odg"]
    assert "ODG applies" in sleep["guideline"]["fallback"]
    opioid = decide(dict(NORCO, date_of_service="2015-01-01"), rules=rules)
    assert [r["id"] for r in opioid["rules"]] == ["t.mtus.rule"]      # MTUS has a rule: ODG is not consulted
    assert "fallback" not in opioid["guideline"]


def test_carried_over_criteria_say_so_in_the_citation():
    d = decide(dict(NORCO, date_of_service="2018-03-01"))
    cited = d["rules"][0]["citation"]
    assert cited["guideline"].startswith("MTUS ACOEM") and "carried over" in cited["note"].lower()
    assert any("carried over" in c.lower() for c in d["citations"])
