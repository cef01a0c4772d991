"""Facts and findings of the five seed letters, checked by hand against the letters.

Each seed is split the simple way (the summary between "CLINICAL CASE SUMMARY" and "IMR ISSUES",
each rationale from "Decision rationale:" to the next item line or the end). For every segment
the test states the finding concepts the letter states, with their status, and asserts the
extracted set is exactly that: a concept the letter does not state must not appear.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from engine.extraction.facts import extract_facts, extract_item_facts

ROOT = Path(__file__).resolve().parent.parent
LETTERS = ROOT / "examples" / "letters"
# The exact-set check covers the concepts of rules/vocab/findings.yaml. Concepts of the
# findings-<area>.yaml files are merged into extraction too, but their phrases belong to the
# rule areas and are checked by those areas' tests.
CORE = {t["id"] for t in yaml.safe_load((ROOT / "rules" / "vocab" / "findings.yaml")
                                        .read_text(encoding="utf-8"))["terms"]}
ITEM_LINE = re.compile(r"^(?P<item>.+?):\s*(?:Upheld|Overturned)\s*$", re.M)

ND, PRESENT, ABSENT = "not_documented", "present", "absent"


def normalise(raw: str) -> str:
    """CRLF to LF and the blank line between two lines collapsed, as the seeds need."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n[ \t]*\n", "\n", text)


def split(text: str):
    start = text.index("CLINICAL CASE SUMMARY")
    end = text.index("IMR ISSUES")
    items = list(ITEM_LINE.finditer(text))
    rationales = []
    for index, m in enumerate(items):
        stop = items[index + 1].start() if index + 1 < len(items) else len(text)
        at = text.index("Decision rationale:", m.end(), stop)
        rationales.append((m.group("item").strip(), ("rationale", at, stop)))
    return ("summary", start, end), rationales


def load(prefix: str):
    path = next(LETTERS.glob(f"{prefix}_*.txt"))
    text = normalise(path.read_text(encoding="utf-8"))
    summary, rationales = split(text)
    return text, summary, rationales


def value(fact):
    return fact["value"] if isinstance(fact, dict) else fact


# What each letter states, read by hand. `findings` is the exact set per segment.
SEEDS = {
    "000": {
        "age": 48, "sex": "male", "injury_date": "2012-02-23",
        "mechanism": "boxes weighing 20-30 pounds fell on him",
        "body_parts": {"cervical_spine", "shoulder"},
        "pain": {"current": 5},                                   # "rated 4-5 out of 10": the upper value
        # named only in the treatment plan ("dispensing new medication prescriptions for Norco and
        # Methocarbamol"): a plan is not a drug the summary says the patient takes
        "medications": {},
        "diagnoses": ["cervicalgia", "cervical radiculopathy", "potential left shoulder problems"],
        "summary_findings": {"neurologic_deficit": ABSENT},      # "good strength and sensation"
        "items": [
            {"findings": {"pain_relief": ND, "first_line_failed": ND, "weaning_attempted": ND},
             "durations": {"hydrocodone/acetaminophen": 26.0}},  # "on Norco for over 6 months"
            {"findings": {}, "durations": {"methocarbamol": 26.0}},
        ],
    },
    "001": {
        "age": 47, "sex": None, "injury_date": "2007-07-09",
        "pain": {"without_meds": 8, "with_meds": 4},
        "medications": {"hydrocodone/acetaminophen": "current", "eszopiclone": "current", "clonazepam": "current"},
        # "8/10 without medications and 4/10 with medications": relief computed from the scores
        "summary_findings": {"uds_performed": PRESENT, "uds_consistent": PRESENT, "surgery_planned": PRESENT,
                             "pain_relief": PRESENT},
        "items": [
            {"findings": {"acute_exacerbation": PRESENT, "surgery_planned": PRESENT, "uds_performed": PRESENT,
                          "uds_consistent": PRESENT, "aberrant_behavior": ABSENT},
             "durations": {}},
        ],
    },
    "002": {
        "age": 75, "sex": "female", "injury_date": "2001-02-23",
        "pain": {"current": 10},
        "medications": {"hydrocodone/acetaminophen": "current", "cyclobenzaprine": "current"},
        "diagnoses": ["lumbar spondylosis with L4-5 stenosis"],
        "summary_findings": {"gi_risk_factor": PRESENT},          # a 75 year old: age over 65 (CPMTG p. 68)
        "items": [
            {"findings": {}, "durations": {}},
            {"findings": {"functional_improvement": ND, "return_to_work": ND, "aberrant_behavior": ND,
                          "functional_goals": ND, "uds_performed": ND, "opioid_agreement": ND,
                          "first_line_failed": ND},
             "durations": {}},
        ],
    },
    "003": {
        "age": 61, "sex": "male", "injury_date": "2005-03-26",
        "pain": {"before": 8, "after": 5, "current": 5},       # "was 7-8/10 and now it is a 4-5/10"; toes 5/10
        "medications": {"zolpidem": "current", "ibuprofen": "current", "omeprazole": "current",
                        "pregabalin": "current", "hydrocodone/acetaminophen": "current",
                        "tizanidine": "current", "diazepam": "current"},
        # "reports excellent relief since his injections": the relief, and care that helped
        "summary_findings": {"pain_relief": PRESENT, "conservative_care_failed": ABSENT},
        "items": [
            {"findings": {"pain_relief": ND, "functional_improvement": ND}, "durations": {}},
            {"findings": {"acute_exacerbation": ABSENT, "muscle_spasm": ABSENT, "myofascial_pain": ND},
             "durations": {}},
        ],
    },
    "004": {
        "age": 52, "sex": None, "injury_date": "2010-11-04",
        "pain": {},
        "medications": {"oxycodone/acetaminophen": None, "hydrocodone/acetaminophen": None, "diazepam": None,
                        "carisoprodol": None, "tramadol/acetaminophen": None},
        "summary_findings": {"muscle_spasm": PRESENT, "neurologic_deficit": ABSENT},
        "items": [
            {"findings": {"pain_assessment_complete": ND, "pain_relief": ND, "functional_improvement": ND},
             "durations": {}},
            {"findings": {"exceptional_factors": ND}, "durations": {}},   # "does not detail circumstances"
        ],
    },
}


@pytest.mark.parametrize("prefix", sorted(SEEDS))
def test_summary_facts(prefix):
    expected = SEEDS[prefix]
    text, summary, _ = load(prefix)
    facts = extract_facts(text, [summary])
    patient = facts.get("patient", {})
    assert value(patient.get("age")) == expected["age"]
    assert value(patient.get("sex")) == expected["sex"]
    assert value(facts["injury"]["date"]) == expected["injury_date"]
    if "mechanism" in expected:
        assert value(facts["injury"]["mechanism"]) == expected["mechanism"]
    if "body_parts" in expected:
        assert set(facts["injury"]["body_parts"]) == expected["body_parts"]
    pain = {k: value(v) for k, v in facts.get("pain", {}).items()}
    assert pain == expected["pain"]
    meds = {m["generic"]: m.get("status") for m in facts.get("medications", [])}
    assert meds == expected["medications"]
    if "diagnoses" in expected:
        assert [d["text"] for d in facts["diagnoses"] if "post_surgical" not in d.get("tags", [])] \
            == expected["diagnoses"]
    found = {k: v["status"] for k, v in facts.get("findings", {}).items() if k in CORE}
    assert found == expected["summary_findings"]


@pytest.mark.parametrize("prefix", sorted(SEEDS))
def test_rationale_findings(prefix):
    expected = SEEDS[prefix]
    text, _, rationales = load(prefix)
    assert len(rationales) == len(expected["items"])
    for (item, segment), want in zip(rationales, expected["items"]):
        facts = extract_item_facts(text, [segment])
        found = {k: v["status"] for k, v in facts.get("findings", {}).items() if k in CORE}
        assert found == want["findings"], item
        durations = {m["generic"]: value(m["duration_weeks"]) for m in facts.get("medications", [])
                     if "duration_weeks" in m}
        assert durations == want["durations"], item


def test_seed_000_treatments_and_post_surgical_diagnosis():
    text, summary, _ = load("000")
    facts = extract_facts(text, [summary])
    kinds = {t["kind"]: t for t in facts["treatments"]}
    assert value(kinds["physical_therapy"]["count"]) == 6          # "six visits of physical therapy"
    assert kinds["surgery"]["dates"] == ["2014-07-30"]             # "... discectomy July 30, 2014"
    post = [d for d in facts["diagnoses"] if "post_surgical" in d.get("tags", [])]
    assert post and post[0]["text"].startswith("status post C4-6 anterior cervical fusion")
    tags = {d["text"]: d.get("tags", []) for d in facts["diagnoses"]}
    assert "radiculopathy" in tags["cervical radiculopathy"] and "neuropathic" in tags["cervical radiculopathy"]


def test_seed_003_injections_counted_and_dated():
    text, summary, _ = load("003")
    facts = extract_facts(text, [summary])
    blocks = [t for t in facts["treatments"] if t["kind"] == "injection" and "count" in t]
    assert len(blocks) == 1
    assert value(blocks[0]["count"]) == 2
    assert blocks[0]["dates"] == ["2014-09-24", "2014-11-12"]
    crps = [d for d in facts["diagnoses"] if "crps" in d.get("tags", [])]
    assert len(crps) == 2 and all("neuropathic" in d["tags"] for d in crps)


def test_seed_004_status_post_is_a_diagnosis_and_a_surgery():
    text, summary, _ = load("004")
    facts = extract_facts(text, [summary])
    assert facts["diagnoses"][0]["text"] == "s/p ACF, C4-C7"
    assert "post_surgical" in facts["diagnoses"][0]["tags"]
    assert any(t["kind"] == "surgery" for t in facts["treatments"])
