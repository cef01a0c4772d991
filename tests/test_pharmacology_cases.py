"""The hand-written pharmacology example cases (examples/cases/pharmacology-*.json).

For each drug class there is a clinician's pre-check (no reviewer block) and an auditor's case (a
decided item, with the reviewer's outcome). Each test states the determination the engine must
give and the rules and criteria it must name, so that a change in a rule that alters a decision
or its reasons shows up here. One auditor case is a known disagreement and is asserted as such.
"""
import json
from pathlib import Path

import pytest

from engine import evaluate, load_case, load_rules
from engine.report import to_json

CASES = Path(__file__).parent.parent / "examples" / "cases"
RULES = load_rules()
M = "mtus.cpmtg_2009."
O = "odg.pain."

# file -> (outcome, pack used, {rule id: status}, {(rule id, criterion): result}, missing documentation criteria)
EXPECTED = {
    # NSAIDs
    "pharmacology-nsaid-clinician-knee-oa.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "nsaids.osteoarthritis": "holds", M + "nsaids.gi_risk_without_protection": "fails"},
        {(M + "nsaids.osteoarthritis", "osteoarthritis"): "met", (M + "nsaids.osteoarthritis", "moderate_to_severe"): "met",
         (M + "nsaids.osteoarthritis", "shortest_period"): "met"},
        set()),
    "pharmacology-nsaid-auditor-refills.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "nsaids.chronic_back_pain": "fails", M + "nsaids.osteoarthritis": "fails",
         M + "nsaids.continued_use": "unknown"},
        {(M + "nsaids.chronic_back_pain", "short_term"): "unmet", (M + "nsaids.continued_use", "pain_relief"): "met",
         (M + "nsaids.continued_use", "function"): "unknown"},
        {"function", "monitoring"}),
    # Proton pump inhibitors
    "pharmacology-ppi-clinician-older-patient.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "ppis.nsaid_with_gi_risk": "holds"},
        {(M + "ppis.nsaid_with_gi_risk", "on_nsaid"): "met", (M + "ppis.nsaid_with_gi_risk", "gi_risk"): "met"},
        set()),
    "pharmacology-ppi-auditor-no-nsaid.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "ppis.nsaid_with_gi_risk": "fails", M + "ppis.nsaid_dyspepsia": "fails"},
        {(M + "ppis.nsaid_with_gi_risk", "on_nsaid"): "unmet", (M + "ppis.nsaid_with_gi_risk", "gi_risk"): "unmet",
         (M + "ppis.nsaid_dyspepsia", "dyspepsia"): "unknown"},
        set()),
    "pharmacology-ppi-auditor-disagreement.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "ppis.nsaid_dyspepsia": "holds"},
        {(M + "ppis.nsaid_dyspepsia", "dyspepsia"): "met"},
        set()),
    # Topical analgesics
    "pharmacology-topical-clinician-lidoderm.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "topical_analgesics.lidocaine_patch": "holds", M + "topical_analgesics.lidocaine_not_patch": "fails"},
        {(M + "topical_analgesics.lidocaine_patch", c): "met"
         for c in ("dermal_patch", "neuropathic", "localized", "first_line_trial")},
        set()),
    "pharmacology-topical-auditor-compound.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "topical_analgesics.compounded_unrecommended_ingredient": "holds"},
        {(M + "topical_analgesics.compounded_unrecommended_ingredient", "unrecommended_agent"): "met"},
        set()),
    # Benzodiazepines
    "pharmacology-benzo-clinician-short-course.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "benzodiazepines.short_term": "holds", M + "benzodiazepines.long_term_use": "fails"},
        {(M + "benzodiazepines.short_term", "within_4_weeks"): "met"},
        set()),
    "pharmacology-benzo-auditor-long-term.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "benzodiazepines.long_term_use": "holds"},
        {(M + "benzodiazepines.long_term_use", "beyond_4_weeks"): "met",
         (M + "benzodiazepines.short_term", "within_4_weeks"): "unmet"},
        set()),
    # Anti-epilepsy drugs
    "pharmacology-aed-clinician-gabapentin-response.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "anticonvulsants.continued_use": "holds", M + "anticonvulsants.neuropathic_trial": "fails"},
        {(M + "anticonvulsants.continued_use", c): "met"
         for c in ("neuropathic_indication", "response", "function", "side_effects")},
        set()),
    "pharmacology-aed-auditor-suspension.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "anticonvulsants.neuropathic_trial": "unknown"},
        {(M + "anticonvulsants.neuropathic_trial", "neuropathic_indication"): "unknown",
         (M + "anticonvulsants.neuropathic_trial", "agent_choice"): "met"},
        {"neuropathic_indication"}),
    # Antidepressants
    "pharmacology-antidepressant-clinician-duloxetine.json": (
        "certify", "mtus.cpmtg_2009",
        {M + "antidepressants.first_line_trial": "holds"},
        {(M + "antidepressants.first_line_trial", "indication"): "met"},
        set()),
    "pharmacology-antidepressant-auditor-ssri.json": (
        "non_certify", "mtus.cpmtg_2009",
        {M + "antidepressants.ssri_for_pain": "holds"},
        {(M + "antidepressants.ssri_for_pain", "no_depression"): "met"},
        set()),
    # Sleep aids: the MTUS is silent, ODG applies
    "pharmacology-sleep-clinician-zolpidem.json": (
        "certify", "odg.pain",
        {O + "sleep_aids.zolpidem_short_term": "holds", O + "sleep_aids.long_term_hypnotic": "fails"},
        {(O + "sleep_aids.zolpidem_short_term", c): "met" for c in ("insomnia", "sleep_hygiene", "short_course")},
        set()),
    "pharmacology-sleep-auditor-long-term.json": (
        "non_certify", "odg.pain",
        {O + "sleep_aids.long_term_hypnotic": "holds"},
        {(O + "sleep_aids.zolpidem_short_term", "short_course"): "unmet"},
        set()),
    # Medical foods: the MTUS is silent, ODG applies
    "pharmacology-medical-food-clinician-precheck.json": (
        "non_certify", "odg.pain",
        {O + "medical_foods.not_for_chronic_pain": "holds"},
        {(O + "medical_foods.dietary_management", "nutritional_requirement"): "unknown"},
        {"unless"}),
    "pharmacology-medical-food-auditor-theramine.json": (
        "non_certify", "odg.pain",
        {O + "medical_foods.not_for_chronic_pain": "holds"},
        {},
        {"unless"}),
}

# Auditor cases where the engine and the reviewer are known to differ, and why (docs/pharmacology.md).
KNOWN_DISAGREEMENTS = {
    "pharmacology-ppi-auditor-disagreement.json":
        "the reviewer rejected the PPI because the NSAID itself lacked documented benefit; the guideline's PPI "
        "criteria (NSAID plus dyspepsia) are met and no rule links a PPI to the NSAID's own justification",
}


def _determination(name):
    case = load_case(CASES / name)
    (determination,) = evaluate(RULES, case)["determinations"]
    return case, determination


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pharmacology_case_outcome_and_reasons(name):
    case, d = _determination(name)
    outcome, pack, statuses, criteria, missing = EXPECTED[name]
    assert d["outcome"] == outcome
    assert d["guideline"]["packs"][0]["id"] == pack
    by_id = {r["id"]: r for r in d["rules"]}
    for rule_id, status in statuses.items():
        assert by_id[rule_id]["status"] == status, rule_id
    for (rule_id, criterion_id), result in criteria.items():
        got = {c["id"]: c["result"] for c in by_id[rule_id]["criteria"]}
        assert got[criterion_id] == result, (rule_id, criterion_id)
    assert {m["criterion"] for m in d["missing_documentation"]} >= missing
    if outcome == "certify":
        assert d["missing_documentation"] == []
    assert d["rationale"] and d["citations"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "-auditor-" in n))
def test_auditor_cases_compare_with_the_reviewer(name):
    case, d = _determination(name)
    reviewer = case.reviewer[d["request_id"]]["outcome"]
    agrees = d["imr_equivalent"].lower() == reviewer
    assert agrees == (name not in KNOWN_DISAGREEMENTS)


def test_every_class_has_a_clinician_and_an_auditor_case():
    names = sorted(p.name for p in CASES.glob("pharmacology-*.json"))
    assert names == sorted(EXPECTED)
    for area in ("nsaid", "ppi", "topical", "benzo", "aed", "antidepressant", "sleep", "medical-food"):
        assert any(n.startswith(f"pharmacology-{area}-clinician-") for n in names), area
        assert any(n.startswith(f"pharmacology-{area}-auditor-") for n in names), area


def test_clinician_cases_have_no_reviewer_and_auditor_cases_do():
    for name in EXPECTED:
        data = json.loads((CASES / name).read_text())
        assert data["case_id"]
        assert ("reviewer" in data) == ("-auditor-" in name), name


def test_odg_is_used_only_because_mtus_is_silent():
    _, d = _determination("pharmacology-sleep-clinician-zolpidem.json")
    assert "fallback" in d["guideline"]
    assert all(c.startswith("Official Disability Guidelines (ODG)") for c in d["citations"])
    _, d = _determination("pharmacology-benzo-clinician-short-course.json")
    assert "fallback" not in d["guideline"]


def test_same_case_same_bytes():
    for name in ("pharmacology-topical-auditor-compound.json", "pharmacology-sleep-clinician-zolpidem.json"):
        outputs = {to_json(evaluate(load_rules(), load_case(CASES / name))) for _ in range(2)}
        assert len(outputs) == 1
