"""Reason agreement (engine/audit/reasons.py) and the per-item record (engine/audit/items.py).

The determinations here are written by hand in the evaluator's shape, so each matching route
is tested alone: a finding the reviewer states, a stated duration, key terms in a sentence
about the case, a diagnosis tag, and "not recommended" for an against rule.
"""
from engine.audit.items import CSV_FIELDS, csv_row, item_records
from engine.audit.reasons import engine_reasons, match_reasons
from engine.evaluator import decide_case
from engine.case import case_from_dict
from engine.loader import load_rules


def fact(path, value="unknown", status=None):
    out = {"path": path, "value": value}
    if status:
        out["status"] = status
    return out


def support(criteria, status="unknown"):
    return {"id": "pack.opioids.ongoing", "title": "Ongoing", "effect": "support", "status": status,
            "criteria": [{"id": cid, "requires": "...", "test": test, "result": result, "facts": facts}
                         for cid, result, test, facts in criteria]}


def determination(*rules, outcome="non_certify"):
    return {"outcome": outcome, "rules": list(rules)}


FUNCTION = ("activities", "unknown", "findings.functional_improvement",
            [fact("findings.functional_improvement", status="missing")])


def test_a_finding_stated_as_not_documented_matches():
    d = determination(support([FUNCTION]))
    reasons, matches = match_reasons(d, "In this case there is no documentation of functional improvement.")
    assert [r.name for r in reasons] == ["pack.opioids.ongoing/activities"]
    assert [(m.how, m.detail) for m in matches] == [("stated", "functional_improvement: not_documented")]
    assert "functional improvement" in matches[0].quote


def test_a_finding_stated_as_present_does_not_match():
    d = determination(support([FUNCTION]))
    _, matches = match_reasons(d, "The claimant reports functional improvement with the medication.")
    assert matches == []


def test_a_fact_counting_against_matches_when_the_reviewer_says_present():
    criterion = ("aberrant", "unmet", "not findings.aberrant_behavior",
                 [fact("findings.aberrant_behavior", "true", "present")])
    d = determination(support([criterion], status="fails"))
    _, matches = match_reasons(d, "The records describe aberrant drug-taking behavior and early refills.")
    assert [m.detail for m in matches] == ["aberrant_behavior: present"]


def test_key_terms_count_only_in_a_sentence_about_the_case():
    criterion = ("severe", "unknown", "pain.without_meds >= 7", [fact("pain.without_meds")])
    d = determination(support([criterion]))
    recital = "Guidelines require pain scores before and after the medication."
    assert match_reasons(d, recital)[1] == []
    _, matches = match_reasons(d, recital + " In this case the pain scores were not recorded.")
    assert [(m.how, m.detail) for m in matches] == [("terms", "pain scores")]
    assert matches[0].quote.startswith("In this case")


def test_a_stated_duration_of_the_requested_drug_matches():
    criterion = ("short_course", "unknown", "request.prior_use_weeks <= 3 weeks", [fact("request.prior_use_weeks")])
    d = determination(support([criterion]))
    _, matches = match_reasons(d, "The claimant has been on Norco for over 6 months.", "hydrocodone/acetaminophen")
    assert [(m.how, m.quote) for m in matches] == [("duration", "for over 6 months")]


def test_a_diagnosis_tag_tested_by_the_criterion():
    criterion = ("myofascial", "unknown", 'findings.myofascial_pain or any(d in diagnoses: "myofascial" in d.tags)', [])
    d = determination(support([criterion]))
    _, matches = match_reasons(d, "There is no diagnosis of myofascial pain in this case.")
    assert [(m.how, m.fact) for m in matches] == [("tag", "diagnoses[].tags:myofascial")]


def test_an_against_rule_without_criteria_matches_not_recommended():
    rule = {"id": "pack.soma", "title": "Carisoprodol not recommended", "effect": "against", "status": "holds",
            "when": {"test": 'request.drug.generic == "carisoprodol"',
                     "facts": [fact("request.drug.generic", "carisoprodol")]}, "criteria": []}
    d = determination(rule)
    reasons, matches = match_reasons(d, "Soma is not recommended for long-term use.")
    assert [r.name for r in reasons] == ["pack.soma/when"]
    assert [m.how for m in matches] == ["not_recommended"]


def test_the_criterion_of_a_holding_against_rule_matches_a_guideline_verdict():
    rule = {"id": "pack.flexeril.others", "title": "added to other agents", "effect": "against", "status": "holds",
            "criteria": [{"id": "with_other_agents", "requires": "...", "test": "any(m in medications: ...)",
                          "result": "met", "facts": [fact("medications[0].drug_class", "opioid")]}]}
    d = determination(rule)
    text = "Per MTUS guidelines, the addition of cyclobenzaprine to other agents is not recommended."
    _, matches = match_reasons(d, text)
    assert [m.detail for m in matches] == ["other medications taken"]


def test_no_reasons_unless_non_certify():
    d = determination(support([FUNCTION], status="holds"), outcome="certify")
    assert engine_reasons(d) == []
    assert match_reasons(d, "There is no documentation of functional improvement.") == ([], [])
    assert match_reasons(determination(support([FUNCTION])), "")[1] == []


SEED_CASE = {
    "case_id": "seed-x",
    "pain": {"current": 5},
    "requests": [{"id": "r1", "text": "Norco 10/325mg #120", "kind": "drug",
                  "drug": {"generic": "hydrocodone/acetaminophen", "drug_class": "opioid"}}],
    "reviewer": {"items": [{"request_id": "r1", "outcome": "upheld", "guidelines_cited": ["MTUS"],
                            "sections": ["Opioids"],
                            "rationale": "In this case there is no documentation of functional improvement."}]},
}


def test_item_record_fields_and_csv_row():
    rules = load_rules()
    [item] = item_records(SEED_CASE, decide_case(rules, case_from_dict(SEED_CASE)), mode="summary",
                          letter="letters/x.txt")
    assert item["predicted"] == "non_certify" and item["imr_equivalent"] == "Upheld"
    assert item["actual"] == "upheld" and item["agreement"] is True and item["covered"] is True
    assert item["drug_class"] == "opioid" and item["kind"] == "drug"
    assert item["unknown"] and all("/" in name for name in item["unknown"])
    assert item["reasons"]["eligible"] is True and item["reasons"]["matched"] is True
    assert item["trace"] and item["trace"][0]["criteria"]
    row = csv_row(item)
    assert len(row) == len(CSV_FIELDS)
    assert row[CSV_FIELDS.index("agreement")] == "true"


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    item = {"item": "=HYPERLINK(\"x\")", "letter": "-cmd", "case_id": "-3"}
    row = dict(zip(CSV_FIELDS, csv_row(item)))
    assert row["item"].startswith("'=") and row["letter"] == "'-cmd" and row["case_id"] == "-3"
