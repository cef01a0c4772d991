"""The hand-written cases of the topics added for issue 14 (examples/cases/topics-*.json) and the
phase-of-care gate.

Each case is decided as the guideline would decide it, for the reason the rules name; the pack is the
one in force on the date of service, ODG is consulted only where the MTUS has no rule, and an injury
in its first 3 months is decided by the ACOEM chapters rather than the chronic pain guideline.
"""
import json
import re
from pathlib import Path

import pytest

from engine import case_from_dict, evaluate, load_case, load_rules
from engine.report import to_json

ROOT = Path(__file__).parent.parent
CASES = ROOT / "examples" / "cases"
RULES = load_rules()


def _suffix(rule_id: str) -> str:
    return rule_id.split(".", 2)[2]


# case file -> (outcome, pack used, {rule suffix: status}, {(rule suffix, criterion): result})
EXPECTED = {
    "topics-drug-testing-low-risk-yearly.json": (
        "certify", "mtus.cpmtg_2009", {"drug_testing.urine_drug_screen": "holds"},
        {("drug_testing.urine_drug_screen", "frequency_by_risk"): "met"}),
    "topics-passive-estim-acute-with-therapy.json": (
        "certify", "mtus.acoem_2004", {"acute_care.passive_modalities": "holds"}, {}),
    "topics-passive-estim-chronic-alone.json": (
        "non_certify", "mtus.cpmtg_2009", {"passive_modalities.used_sparingly_with_active_therapy": "fails"},
        {("passive_modalities.used_sparingly_with_active_therapy", "sparing_course"): "unmet"}),
    "topics-head-ct-loss-of-consciousness.json": (
        "certify", "odg.nondrug", {"head.ct": "holds"}, {}),
    "topics-head-neuropsych-testing-too-early.json": (
        "non_certify", "odg.nondrug", {"head.neuropsychological_testing": "fails"},
        {("head.neuropsychological_testing", "severe_or_persisting"): "unmet"}),
    "topics-imaging-ankle-mri-delayed-recovery.json": (
        "certify", "mtus.acoem_2004", {"imaging.ankle_foot_delayed_recovery": "holds"}, {}),
    "topics-imaging-hip-mri-no-specific-lesion.json": (
        "non_certify", "odg.nondrug", {"imaging.hip_mri": "unknown"}, {}),
    "topics-dme-hygiene-wipes.json": (
        "non_certify", "odg.nondrug", {"dme.not_primarily_medical": "holds"}, {}),
    "topics-dme-lumbar-support-chronic.json": (
        "non_certify", "mtus.acoem_2004", {"equipment.lumbar_support_beyond_acute_phase": "holds"}, {}),
    "topics-hearing-aids-audiogram.json": (
        "certify", "odg.nondrug", {"head.hearing_aids": "holds"}, {}),
    "topics-transportation-cannot-drive.json": (
        "certify", "odg.nondrug", {"dme.transportation": "holds"}, {}),
    "topics-home-modification-ramp.json": (
        "non_certify", "odg.nondrug", {"dme.home_modification": "holds"}, {}),
    "topics-cbt-initial-trial.json": (
        "certify", "mtus.cpmtg_2009", {"psychological.cbt_initial_trial": "holds", "psychological.cbt_extension": "fails"}, {}),
    "topics-psych-evaluation-no-symptoms.json": (
        "non_certify", "mtus.cpmtg_2009", {"psychological.evaluation": "fails"}, {}),
    "topics-partial-hospitalization-detox.json": (
        "certify", "mtus.cpmtg_2009", {"psychological.partial_hospitalization": "holds"}, {}),
    "topics-barbiturate-fioricet.json": (
        "non_certify", "mtus.cpmtg_2009", {"other_drugs.barbiturate_analgesic": "holds"}, {}),
    "topics-antiemetic-opioid-nausea.json": (
        "non_certify", "odg.pain", {"antiemetics.opioid_nausea": "holds"}, {}),
    "topics-triptan-migraine.json": (
        "certify", "odg.nondrug", {"head.triptans": "holds"}, {}),
    "topics-laxative-with-opioid.json": (
        "certify", "mtus.cpmtg_2009", {"other_drugs.laxative_with_opioids": "holds"}, {}),
    "topics-topical-terocin-patch.json": (
        "non_certify", "mtus.cpmtg_2009", {"topical_analgesics.compounded_unrecommended_ingredient": "holds"},
        {("topical_analgesics.compounded_unrecommended_ingredient", "unrecommended_agent"): "met"}),
    "topics-topical-unknown-brand.json": (
        "non_certify", "mtus.cpmtg_2009", {"topical_analgesics.neuropathic_after_first_line": "unknown"},
        {("topical_analgesics.neuropathic_after_first_line", "product_identified"): "unknown"}),
    "topics-acute-nsaid-new-sprain.json": (
        "certify", "mtus.acoem_2004", {"acute_care.nsaid": "holds"}, {}),
    "topics-acute-physical-therapy-twelve.json": (
        "non_certify", "mtus.acoem_2004", {"acute_care.physical_therapy_trial": "fails"},
        {("acute_care.physical_therapy_trial", "clinical_trial"): "unmet"}),
    "topics-unspecified-labs.json": (
        "non_certify", "mtus.cpmtg_2009", {"unspecified_requests.laboratory_test_not_named": "holds"}, {}),
    "topics-electrodiagnostic-legs-combined-radicular.json": (
        "non_certify", "mtus.acoem_2004", {"electrodiagnostics.low_back_emg": "fails"},
        {("electrodiagnostics.low_back_emg", "emg_part"): "met", ("electrodiagnostics.low_back_emg", "ncs_part"): "unmet"}),
    "topics-electrodiagnostic-arm-observation.json": (
        "certify", "mtus.acoem_2004", {"electrodiagnostics.neck_arm_symptoms": "holds"},
        {("electrodiagnostics.neck_arm_symptoms", "conservative_care"): "met"}),
    "topics-acupuncture-range.json": (
        "certify", "mtus.acupuncture_2007", {"acupuncture.initial_trial": "holds"},
        {("acupuncture.initial_trial", "trial_size"): "met"}),
    "topics-office-visits-block.json": (
        "non_certify", "mtus.cpmtg_2016", {"office_visits.individual_visit": "fails"},
        {("office_visits.individual_visit", "one_visit"): "unmet"}),
}


def _decide(name):
    (determination,) = evaluate(RULES, load_case(CASES / name))["determinations"]
    return determination


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_topic_case_outcome_and_reasons(name):
    d = _decide(name)
    outcome, pack, statuses, criteria = EXPECTED[name]
    assert d["outcome"] == outcome, d["rationale"]
    assert d["guideline"]["packs"][0]["id"] == pack
    by_suffix = {_suffix(r["id"]): r for r in d["rules"]}
    for rule, status in statuses.items():
        assert by_suffix[rule]["status"] == status, rule
    for (rule, criterion), result in criteria.items():
        got = {c["id"]: c["result"] for c in by_suffix[rule]["criteria"]}
        assert got[criterion] == result, (rule, criterion)
    assert d["rationale"] and d["citations"]
    if outcome == "certify":
        assert d["missing_documentation"] == []


def test_every_topic_case_is_listed():
    assert sorted(p.name for p in CASES.glob("topics-*.json")) == sorted(EXPECTED)


def test_same_case_same_bytes():
    for name in ("topics-acute-nsaid-new-sprain.json", "topics-head-ct-loss-of-consciousness.json"):
        outputs = {to_json(evaluate(load_rules(), load_case(CASES / name))) for _ in range(2)}
        assert len(outputs) == 1


# ----------------------------------------------------------------------------- the phase gate

def _nsaid_case(injury, service, **extra):
    data = {"injury": {"date": injury},
            "diagnoses": [{"text": "lumbar strain", "tags": ["sprain_strain", "low_back_pain"]}],
            "requests": [{"text": "Naproxen 500mg #40", "kind": "drug", "quantity": 40, "days_supply": 20,
                          "drug": {"generic": "naproxen", "drug_class": "nsaid"}, "prior_use_weeks": 0,
                          "date_of_service": service}]}
    data.update(extra)
    return case_from_dict(data)


def _rule_ids(d):
    return {_suffix(r["id"]) for r in d["rules"]}


def test_an_injury_weeks_old_is_decided_by_the_acoem_chapters():
    (d,) = evaluate(RULES, _nsaid_case("2015-05-01", "2015-05-20"))["determinations"]
    assert "acute_care.nsaid" in _rule_ids(d)
    assert not {"nsaids.osteoarthritis", "nsaids.chronic_back_pain", "nsaids.back_pain_flare"} & _rule_ids(d)
    gate = next(r for r in d["rules"] if r["id"].endswith("acute_care.nsaid"))["when"]
    # the trace says why: the dates the gate read
    read = {f["path"] for f in gate["facts"]}
    assert {"injury.date", "request.date_of_service"} <= read


def test_an_injury_months_old_is_decided_by_the_chronic_pain_guideline():
    (d,) = evaluate(RULES, _nsaid_case("2014-05-01", "2015-05-20"))["determinations"]
    assert "acute_care.nsaid" not in _rule_ids(d)
    assert {"nsaids.osteoarthritis", "nsaids.chronic_back_pain"} <= _rule_ids(d)


def test_three_months_is_the_line():
    (before,) = evaluate(RULES, _nsaid_case("2015-02-20", "2015-05-20"))["determinations"]   # 89 days
    (after,) = evaluate(RULES, _nsaid_case("2015-02-18", "2015-05-20"))["determinations"]    # 91 days
    assert "acute_care.nsaid" in _rule_ids(before) and "acute_care.nsaid" not in _rule_ids(after)


def test_a_long_history_behind_a_recent_claim_date_is_chronic():
    findings = {"symptoms_longstanding": {"status": "present", "evidence": {"quote": "back pain for years"}}}
    (d,) = evaluate(RULES, _nsaid_case("2015-05-01", "2015-05-20", findings=findings))["determinations"]
    assert "acute_care.nsaid" not in _rule_ids(d) and "nsaids.chronic_back_pain" in _rule_ids(d)


def test_unknown_dates_leave_the_chronic_pain_rules_in_place():
    data = {"requests": [{"text": "Naproxen 500mg", "drug": {"generic": "naproxen", "drug_class": "nsaid"}}]}
    (d,) = evaluate(RULES, case_from_dict(data))["determinations"]
    assert "acute_care.nsaid" not in _rule_ids(d) and "nsaids.chronic_back_pain" in _rule_ids(d)


# ------------------------------------------------------------------- the files are our own words

TOPIC_FILES = [ROOT / "rules" / p for p in (
    "acoem/acute-care.yaml", "mtus/chronic-pain-2009/drug-testing.yaml", "mtus/chronic-pain-2009/passive-modalities.yaml",
    "mtus/chronic-pain-2009/psychological.yaml", "mtus/chronic-pain-2009/other-drugs.yaml",
    "mtus/chronic-pain-2009/unspecified-requests.yaml", "mtus/chronic-pain-2016/office-visits.yaml",
    "odg/nondrug/head.yaml", "odg/nondrug/dme.yaml", "odg/pain/antiemetics.yaml")]


def test_no_topic_rule_or_case_names_a_letter():
    for path in TOPIC_FILES + sorted(CASES.glob("topics-*.json")):
        text = path.read_text()
        assert not re.search(r"CM1\d-\d{7}", text), path


def test_no_topic_rule_or_case_copies_a_letter_item():
    import yaml
    from test_nondrug_cases import _letter_item_lines
    items = _letter_item_lines()
    texts = [r["text"] for p in CASES.glob("topics-*.json") for r in json.loads(p.read_text())["requests"]]
    for path in TOPIC_FILES:
        for rule in yaml.safe_load(path.read_text())["rules"]:
            for test in rule["tests"]:
                texts += [r["text"] for r in test["case"].get("requests", [])]
    copied = [t for t in texts if re.sub(r"\W+", " ", t.lower()).strip() in items]
    assert copied == []
