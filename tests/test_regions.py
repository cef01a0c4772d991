"""Rules read findings through the request: a statement about other body regions, or the other
side, is set aside for a request with body parts (engine/regions.py; docs/semantics.md,
"Findings and body regions")."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from engine import case_from_dict, load_rules
from engine.evaluator import decide_case, evaluate_case
from engine.regions import regions_match, set_aside_reason
from engine.report import render_text

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()
EPIDURAL = json.loads((ROOT / "examples" / "cases" / "nondrug-epidural-corroborated.json").read_text())
RULE = "mtus.cpmtg_2009.injections.epidural_steroid"


@pytest.mark.parametrize("one, other, match", [
    ("knee", "knee", True),
    ("whole_body", "cervical_spine", True),
    ("hand", "whole_body", True),
    ("leg", "lumbar_spine", True),            # a sign in the leg counts for a lumbar epidural
    ("hand", "cervical_spine", True),         # tingling in the thumb for a cervical one
    ("shoulder", "upper_extremity", True),
    ("upper_extremity", "cervical_spine", True),
    ("lower_extremity", "lumbar_spine", True),
    ("foot", "leg", True),                    # leg is a hub of its group too
    ("knee", "hip", False),                   # two members of a group
    ("lumbar_spine", "cervical_spine", False),
    ("hand", "lumbar_spine", False),
    ("knee", "cervical_spine", False),
    ("thoracic_spine", "lumbar_spine", False),
])
def test_regions_match(one, other, match):
    assert regions_match(one, other) is match
    assert regions_match(other, one) is match


def test_visibility_rules():
    def reason(statement, parts, side=None):
        request = {"body_parts": list(parts)}
        if side:
            request["side"] = side
        return set_aside_reason(statement, request)
    assert reason({"body_parts": ["knee"]}, ["hip"]) == "the statement is about the knee; the request is for the hip"
    assert reason({"body_parts": ["knee"], "side": "right"}, ["shoulder"], "left") == \
        "the statement is about the right knee; the request is for the left shoulder"
    assert reason({"body_parts": ["knee"], "side": "right"}, ["knee"], "left") == \
        "the statement is about the right knee; the request is for the left knee"
    assert reason({"body_parts": ["knee"], "side": "bilateral"}, ["knee"], "left") is None
    assert reason({"body_parts": ["knee"], "side": "left"}, ["knee"], "bilateral") is None
    assert reason({"body_parts": ["knee"], "side": "left"}, ["knee"]) is None
    assert reason({"side": "left"}, ["knee"], "right") is None          # no body parts: not filtered
    assert reason({"body_parts": ["knee"]}, []) is None                # a request without body parts
    assert set_aside_reason({"body_parts": ["knee"]}, {"body_part": "hip"}) is not None   # body_part alone
    assert reason({"body_parts": ["elbow", "hand"]}, ["shoulder", "lumbar_spine"]) == \
        "the statement is about the elbow and hand; the request is for the shoulder and lumbar spine"


def decide(case: dict) -> dict:
    (determination,) = evaluate_case(RULES, case_from_dict(case))["determinations"]
    return determination


def epidural(exam: dict, **request) -> dict:
    case = copy.deepcopy(EPIDURAL)
    case["findings"]["radiculopathy_on_exam"] = exam
    case["requests"][0].update(request)
    return case


def exam_fact(determination: dict) -> dict:
    [rule] = [r for r in determination["rules"] if r["id"] == RULE]
    [criterion] = [c for c in rule["criteria"] if c["id"] == "radiculopathy_on_exam"]
    [fact] = criterion["facts"]
    return {"result": criterion["result"], **fact}


def test_a_statement_about_a_matching_region_and_side_holds():
    d = decide(epidural({"status": "present", "body_parts": ["leg"], "side": "right",
                         "evidence": {"quote": "decreased sensation of the right leg"}}))
    assert d["outcome"] == "certify"
    fact = exam_fact(d)
    assert fact["result"] == "met" and fact["status"] == "present" and "set_aside" not in fact


def test_a_statement_about_another_region_is_set_aside():
    d = decide(epidural({"status": "present", "body_parts": ["cervical_spine"],
                         "evidence": {"quote": "positive Spurling test"}}))
    assert d["outcome"] == "non_certify"
    fact = exam_fact(d)
    assert fact["result"] == "unknown" and fact["status"] == "missing" and fact["value"] == "unknown"
    assert fact["set_aside"] == [{"status": "present", "scope": "case",
                                  "reason": "the statement is about the cervical spine; the request is for the "
                                            "right lumbar spine",
                                  "evidence": {"quote": "positive Spurling test"}}]
    assert ("findings.radiculopathy_on_exam: not mentioned for this request (set aside: the statement is about the "
            "cervical spine; the request is for the right lumbar spine)") in d["unknown_facts"]


def test_a_statement_about_the_other_side_is_set_aside():
    d = decide(epidural({"status": "present", "body_parts": ["lumbar_spine"], "side": "left"}))
    fact = exam_fact(d)
    assert fact["result"] == "unknown" and fact["set_aside"][0]["reason"] == \
        "the statement is about the left lumbar spine; the request is for the right lumbar spine"
    assert decide(epidural({"status": "present", "body_parts": ["lumbar_spine"], "side": "bilateral"}))["outcome"] \
        == "certify"


def test_a_hub_sees_its_limb():
    case = epidural({"status": "present", "body_parts": ["hand"], "side": "right",
                     "evidence": {"quote": "numbness of the right thumb"}},
                    body_part="cervical_spine", text="Right C6-7 epidural steroid injection")
    case["findings"]["radiculopathy_corroborated"]["body_parts"] = ["cervical_spine"]
    assert decide(case)["outcome"] == "certify"


def test_a_knee_finding_does_not_count_for_a_hip_request():
    case = epidural({"status": "present", "body_parts": ["knee"]}, body_part="hip", side=None)
    del case["requests"][0]["side"]
    fact = exam_fact(decide(case))
    assert fact["set_aside"][0]["reason"] == "the statement is about the knee; the request is for the hip"


def test_without_body_parts_nothing_is_filtered():
    # a statement without body parts is seen whatever its side
    assert exam_fact(decide(epidural({"status": "present", "side": "left"})))["result"] == "met"
    # a request without body parts (a drug) sees every statement
    case = epidural({"status": "present", "body_parts": ["cervical_spine"]})
    del case["requests"][0]["body_part"]
    del case["requests"][0]["side"]
    assert exam_fact(decide(case))["result"] == "met"


def test_the_first_visible_statement_counts():
    # the top-level statement is about the neck (set aside); the mention about the low back is absent
    d = decide(epidural({"status": "present", "body_parts": ["cervical_spine"],
                         "mentions": [{"status": "absent", "body_parts": ["lumbar_spine"],
                                       "evidence": {"quote": "no radicular signs in the legs"}}]}))
    fact = exam_fact(d)
    assert fact["result"] == "unmet" and fact["status"] == "absent"
    assert fact["evidence"] == {"quote": "no radicular signs in the legs"}
    assert fact["set_aside"][0]["status"] == "present"
    # the top-level statement seen: it is the finding, whatever the mentions say
    for mentions in ([{"status": "not_documented"}], [{"status": "absent", "body_parts": ["leg"]}]):
        fact = exam_fact(decide(epidural({"status": "present", "body_parts": ["lumbar_spine"], "mentions": mentions})))
        assert fact["status"] == "present", mentions
        assert "set_aside" not in fact
    # the top-level statement set aside: the first mention seen, in the order written
    fact = exam_fact(decide(epidural({"status": "present", "body_parts": ["cervical_spine"],
                                      "mentions": [{"status": "absent", "body_parts": ["shoulder"]},
                                                   {"status": "not_documented"},
                                                   {"status": "absent", "body_parts": ["leg"]}]})))
    assert fact["status"] == "not_documented" and len(fact["set_aside"]) == 2


def test_the_request_level_finding_wins_only_when_seen():
    case = epidural({"status": "present", "body_parts": ["lumbar_spine"]})
    case["requests"][0]["findings"] = {"radiculopathy_on_exam": {"status": "absent", "body_parts": ["knee"],
                                                                 "side": "left"}}
    fact = exam_fact(decide(case))
    assert (fact["status"], fact["scope"], fact["result"]) == ("present", "case", "met")
    assert fact["set_aside"] == [{"status": "absent", "scope": "request",
                                  "reason": "the statement is about the left knee; the request is for the right "
                                            "lumbar spine"}]
    case["requests"][0]["findings"]["radiculopathy_on_exam"]["side"] = "right"
    fact = exam_fact(decide(case))
    assert (fact["status"], fact["scope"], fact["result"]) == ("absent", "request", "unmet")


def test_the_text_report_says_why():
    case = epidural({"status": "present", "body_parts": ["cervical_spine"]})
    text = render_text(decide_case(RULES, case_from_dict(case)), explain="full")
    assert ("findings.radiculopathy_on_exam: not mentioned; set aside: present, the statement is about the cervical "
            "spine; the request is for the right lumbar spine") in text


def test_cases_without_regions_read_as_before():
    case = copy.deepcopy(EPIDURAL)
    plain = decide(case)
    case["findings"]["radiculopathy_on_exam"]["side"] = "right"    # a side alone filters nothing
    assert decide(case) == plain and plain["outcome"] == "certify"
