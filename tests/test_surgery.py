"""Requests that depend on one another, surgery and the services that go with it.

- engine/dependencies.py: the evaluation order over `depends_on` (chains, cycles, a missing
  index), the `index` view rules read, the `depends_on` entry of a determination;
- engine/precedence.py: `supersedes`;
- extraction: `perioperative`, the link from a tied item to its letter's surgery, an associated
  service keeping its own kind, a substitution told from a partial authorization;
- the shipped surgery and associated-service rules on the hand-written examples
  (examples/handwritten/*.txt, examples/cases/surgery-*.json);
- the dev letters, when ../shared is there: no dependent item certified while its index is denied,
  and every surgery and surgery-tied item either has a rule or is listed in docs/nondrug.md.
"""
import json
import re
from pathlib import Path

import pytest

from engine import case_from_dict, decide, evaluate, load_case, load_rules
from engine.dependencies import index_view, plan
from engine.evaluator import evaluate_case
from engine.extraction import extract_case, extract_text
from engine.extraction.linking import link_dependencies
from engine.extraction.requests import authorization_field, parse_request
from engine.report import render_text, to_json

ROOT = Path(__file__).parent.parent
RULES = load_rules()
DEV = ROOT.parent / "shared" / "corpus" / "dev-letters"
FOLLOWS = "mtus.principles.dependent_service_follows_index"


def _case(*requests, **extra):
    return case_from_dict(dict(extra, requests=list(requests)))


def _by_id(document):
    return {d["request_id"]: d for d in document["determinations"]}


# ----------------------------------------------------------------------------- evaluation order

def test_an_index_is_decided_before_the_requests_that_depend_on_it():
    case = _case({"id": "r1", "text": "a", "depends_on": "r3"}, {"id": "r2", "text": "b"},
                 {"id": "r3", "text": "c", "depends_on": "r4"}, {"id": "r4", "text": "d"})
    p = plan(case)
    assert p.order.index(3) < p.order.index(2) < p.order.index(0)
    assert p.order == [1, 3, 2, 0]          # ready requests in case order
    assert p.index_of == {0: 2, 2: 3} and p.problems == {}
    assert p.ancestors(0) == [2, 3]


def test_a_cycle_is_reported_on_each_of_its_requests_and_dependents_still_wait():
    case = _case({"id": "r1", "text": "a", "depends_on": "r2"}, {"id": "r2", "text": "b", "depends_on": "r1"},
                 {"id": "r3", "text": "c", "depends_on": "r2"}, {"id": "r4", "text": "d", "depends_on": "r4"})
    p = plan(case)
    assert p.problems[0] == p.problems[1] == "dependency cycle r1 -> r2 -> r1"
    assert p.problems[3] == "dependency cycle r4 -> r4"
    assert 0 not in p.index_of and 1 not in p.index_of and p.index_of[2] == 1
    assert sorted(p.order) == [0, 1, 2, 3] and p.order.index(1) < p.order.index(2)


def test_a_missing_index_is_reported_never_a_crash():
    case = _case({"id": "r1", "text": "Post-operative physical therapy x6", "kind": "physical_therapy", "visits": 6,
                  "depends_on": "r9"})
    determination = evaluate(RULES, case)["determinations"][0]
    assert determination["depends_on"] == {
        "request_id": "r9",
        "problem": "depends on 'r9', which names no request of this case; decided on its own rules"}
    assert determination["outcome"] in ("certify", "non_certify", "no_rule")
    assert "depends on: r9; depends on 'r9'" in render_text(decide(RULES, case))


def test_a_cycle_in_a_case_is_decided_on_own_rules_and_reported():
    case = _case({"id": "r1", "text": "Cold therapy unit, 7 days", "kind": "equipment", "modality": "cold_therapy",
                  "depends_on": "r2"},
                 {"id": "r2", "text": "Compression wraps", "kind": "equipment", "modality": "compression_garment",
                  "depends_on": "r1"})
    for d in evaluate(RULES, case)["determinations"]:
        assert d["depends_on"]["problem"].startswith("dependency cycle r1 -> r2 -> r1")
        assert all(rule["id"] != FOLLOWS for rule in d["rules"])


def test_determinations_stay_in_case_order_and_are_deterministic():
    case = load_case(ROOT / "examples" / "cases" / "surgery-knee-replacement-denied.json")
    first = to_json(evaluate(RULES, case))
    assert [d["request_id"] for d in json.loads(first)["determinations"]] == ["r1", "r2", "r3", "r4", "r5"]
    assert to_json(evaluate(RULES, load_case(ROOT / "examples" / "cases" / "surgery-knee-replacement-denied.json"))) == first


# ----------------------------------------------------------------------------- the index view

def test_the_index_view_of_a_requested_index_carries_the_decision():
    case = _case({"id": "r1", "text": "Rotator cuff repair", "kind": "surgery", "modality": "rotator_cuff_repair",
                  "body_part": "shoulder", "date_of_service": "2016-05-02"},
                 {"id": "r2", "text": "Sling", "depends_on": "r1"})
    p = plan(case)
    assert index_view(case, 1, p, {0: "non_certify"}, None) == {
        "id": "r1", "status": "requested", "outcome": "non_certify", "kind": "surgery",
        "modality": "rotator_cuff_repair", "body_part": "shoulder", "text": "Rotator cuff repair", "date": "2016-05-02"}
    assert "outcome" not in index_view(case, 1, p, {0: "no_rule"}, None)     # undecided: unknown to rules
    assert index_view(case, 0, p, {}, None) is None                          # nothing before the surgery


def test_a_surgery_of_the_record_is_the_index_of_later_requests():
    import datetime as dt
    case = _case({"text": "Physical therapy x6", "kind": "physical_therapy"},
                 treatments=[{"kind": "surgery", "modality": "meniscectomy", "body_part": "knee", "dates": ["2016-03-01"]},
                             {"kind": "surgery", "modality": "carpal_tunnel_release", "dates": ["2016-07-01"]},
                             {"kind": "surgery", "text": "an old operation"}])
    view = index_view(case, 0, plan(case), {}, dt.date(2016, 4, 1))
    assert view == {"status": "done", "kind": "surgery", "modality": "meniscectomy", "body_part": "knee",
                    "date": "2016-03-01", "elapsed": 31}
    later = index_view(case, 0, plan(case), {}, dt.date(2016, 8, 1))
    assert later["modality"] == "carpal_tunnel_release" and later["elapsed"] == 31
    # no dated surgery before the day: the undated one, without date or elapsed
    assert index_view(case, 0, plan(case), {}, dt.date(2015, 1, 1)) == {"status": "done", "kind": "surgery",
                                                                        "text": "an old operation"}


def test_the_index_outcome_is_read_in_the_trace():
    case = load_case(ROOT / "examples" / "cases" / "surgery-knee-replacement-denied.json")
    clearance = _by_id(evaluate(RULES, case))["r2"]
    follows = next(r for r in clearance["rules"] if r["id"] == FOLLOWS)
    facts = {f["path"]: f["value"] for f in follows["when"]["facts"]}
    assert facts["index.outcome"] == "non_certify" and facts["index.status"] == "requested"


# ----------------------------------------------------------------------------- decisions

def test_a_service_follows_its_non_certified_operation():
    document = evaluate(RULES, load_case(ROOT / "examples" / "cases" / "surgery-knee-replacement-denied.json"))
    decided = _by_id(document)
    assert decided["r1"]["outcome"] == "non_certify"
    assert decided["r1"]["guideline"]["fallback"].startswith("MTUS has no rule")      # ODG, and it says so
    for rid in ("r2", "r3", "r4", "r5"):
        d = decided[rid]
        assert d["outcome"] == "non_certify" and d["depends_on"] == {"request_id": "r1", "outcome": "non_certify"}
        holding = [r["id"] for r in d["rules"] if r["status"] == "holds" and r["effect"] == "against"]
        assert holding == [FOLLOWS]
        assert d["rationale"][0].startswith("Treatment is medically necessary only when it is reasonably required")


def test_with_a_certified_operation_each_service_has_its_own_rules():
    decided = _by_id(evaluate(RULES, load_case(ROOT / "examples" / "cases" / "surgery-knee-replacement-certified.json")))
    assert decided["r1"]["outcome"] == "certify"
    expected = {"r2": ("certify", "odg.nondrug.preoperative.electrocardiogram"),
                "r3": ("certify", "odg.nondrug.postoperative.assistant_surgeon"),
                "r4": ("non_certify", "odg.nondrug.postoperative.hospital_stay"),       # 4 days > 3
                "r5": ("non_certify", "odg.nondrug.postoperative.knee_cpm"),            # 21 days > 17, no risk
                "r6": ("certify", "mtus.postsurgical_2009.physical_medicine.joint_replacement")}
    for rid, (outcome, rule) in expected.items():
        d = decided[rid]
        assert d["outcome"] == outcome, rid
        assert rule in [r["id"] for r in d["rules"]], rid
        assert all(r["id"] != FOLLOWS for r in d["rules"])


def test_an_undecided_operation_leaves_its_services_to_their_own_rules_and_says_so():
    case = _case({"id": "r1", "text": "Spinal cord stimulator implantation", "kind": "surgery"},
                 {"id": "r2", "text": "Post-operative cold therapy unit, 7 days", "kind": "equipment",
                  "modality": "cold_therapy", "duration_weeks": 1, "perioperative": "post_operative", "depends_on": "r1"})
    decided = _by_id(evaluate(RULES, case))
    assert decided["r1"]["outcome"] == "no_rule"
    assert decided["r2"]["depends_on"] == {"request_id": "r1", "outcome": "no_rule",
                                           "note": "no rule decides r1; this item was decided on its own rules"}
    assert decided["r2"]["outcome"] == "certify"


def test_post_surgical_therapy_supersedes_the_chronic_pain_allowance():
    decided = evaluate(RULES, load_case(ROOT / "examples" / "cases" / "surgery-post-operative-therapy.json"))
    d = decided["determinations"][0]
    assert d["outcome"] == "certify"
    assert {s["rule"] for s in d["superseded"]} == {"mtus.cpmtg_2009.physical_medicine.visit_allowance",
                                                    "mtus.cpmtg_2009.physical_medicine.home_program_after_full_course"}
    assert all(s["by"] == "mtus.postsurgical_2009.physical_medicine.carpal_tunnel_release" for s in d["superseded"])
    assert all(r["id"] not in {s["rule"] for s in d["superseded"]} for r in d["rules"])
    # past the postsurgical period the chronic pain guideline decides again
    data = json.loads((ROOT / "examples" / "cases" / "surgery-post-operative-therapy.json").read_text())
    data["requests"][0]["date_of_service"] = "2016-09-23"
    later = evaluate(RULES, case_from_dict(data))["determinations"][0]
    assert "superseded" not in later
    assert "mtus.cpmtg_2016.physical_medicine.visit_allowance" in [r["id"] for r in later["rules"]]


def test_post_operative_opioids_take_precedence_over_the_chronic_criteria():
    case = _case({"id": "r1", "text": "Right knee arthroscopy, partial meniscectomy", "kind": "surgery",
                  "modality": "meniscectomy", "body_part": "knee"},
                 {"id": "r2", "text": "Norco 5/325mg #30", "kind": "drug",
                  "drug": {"generic": "hydrocodone/acetaminophen", "drug_class": "opioid", "strength_mg": 5},
                  "quantity": 30, "days_supply": 7, "depends_on": "r1", "perioperative": "post_operative"},
                 letter={"ur_denial_date": "2016-10-01"})
    d = _by_id(evaluate(RULES, case))["r2"]
    assert [r["id"] for r in d["rules"] if r["id"] != FOLLOWS] == ["mtus.opioids_2016.acute_pain.post_operative"]
    assert d["superseded"] and all(s["by"] == "mtus.opioids_2016.acute_pain.post_operative" for s in d["superseded"])
    assert any(s["rule"].startswith("mtus.opioids_2016.opioids.") for s in d["superseded"])


def test_every_supersedes_pattern_matches_some_shipped_rule():
    from engine.precedence import _matcher
    for rule in RULES.rules:
        for pattern in rule.supersedes:
            matcher = _matcher(type("R", (), {"supersedes": (pattern,), "__dict__": {}})())
            assert any(matcher.match(other.id) for other in RULES.rules if other is not rule), (rule.id, pattern)


# ----------------------------------------------------------------------------- extraction

@pytest.mark.parametrize("text,kind,modality,phase", [
    ("Associated surgical service: Shoulder brace", "equipment", "brace", "associated"),
    ("Associated surgical service: Physical therapy sessions, 12", "physical_therapy", None, "associated"),
    ("Pre-operative medical clearance", "surgery_associated", "medical_clearance", "pre_operative"),
    ("Assistant surgeon", "surgery_associated", "assistant_surgeon", "associated"),
    ("Pre-op labs: CBC", "laboratory", "blood_test", "pre_operative"),
    ("Post-op Zofran 4mg #10", "drug", None, "post_operative"),
    ("Cold therapy unit for the knee arthroscopy, 7 days", "equipment", "cold_therapy", "associated"),
    ("Inpatient stay x2 days", "surgery_associated", "hospital_stay", "associated"),
    ("Spine surgery evaluation for the lumbar", "consultation", None, None),      # a consultation serves no operation
    ("Right knee arthroscopy with partial medial meniscectomy", "surgery", "meniscectomy", None),
    ("L4-5 laminectomy and fusion", "surgery", "spinal_fusion", None),           # the fusion covers the decompression
])
def test_request_kind_modality_and_tie_to_a_surgery(text, kind, modality, phase):
    r = parse_request(text)
    assert (r.get("kind"), r.get("modality"), r.get("perioperative")) == (kind, modality, phase)


def test_a_hospital_stay_counts_its_days():
    assert parse_request("Inpatient stay x 4 days")["quantity"] == 4


def test_tied_items_are_linked_to_the_surgery_of_their_body_part_or_the_one_before():
    requests = [{"id": "r1", "kind": "surgery", "body_part": "knee"},
                {"id": "r2", "kind": "physical_therapy", "body_part": "knee", "perioperative": "post_operative"},
                {"id": "r3", "kind": "surgery", "body_part": "shoulder"},
                {"id": "r4", "kind": "equipment", "body_part": "knee", "perioperative": "associated"},
                {"id": "r5", "kind": "surgery_associated", "perioperative": "pre_operative"},
                {"id": "r6", "kind": "drug"}]
    link_dependencies(requests)
    assert [r.get("depends_on") for r in requests] == [None, "r1", None, "r1", "r3", None]
    alone = [{"id": "r1", "kind": "laboratory", "perioperative": "pre_operative"}]
    assert link_dependencies(alone) == [{"id": "r1", "kind": "laboratory", "perioperative": "pre_operative"}]


def test_a_substitution_is_not_the_first_part_of_the_request():
    assert authorization_field({"text": "Acute inpatient rehabilitation x2 weeks",
                                "original_request": "Acute inpatient rehabilitation x2 weeks"},
                               "Skilled nursing facility x2 weeks") == "substitute"
    assert authorization_field({"text": "Tramadol 50mg #30", "original_request": "Tramadol 50mg #90"},
                               "Tramadol 50mg #60") == "authorized"
    assert authorization_field({"text": "Norco 10/325mg #30", "original_request": "Norco 10/325mg #90"},
                               "Tramadol 50mg #60") == "substitute"
    # one of the procedures the original request named was authorized: the rest is the remainder
    assert authorization_field({"text": "with open carpal tunnel release",
                                "original_request": "ORIF of the left distal radius with open carpal tunnel release"},
                               "ORIF of the left distal radius") == "authorized"


def test_remainder_rules_do_not_fire_on_a_substitution():
    letter = (ROOT / "examples" / "handwritten" / "surgery-denied-letter.txt").read_text()
    head, _, _ = letter.partition("IMR ISSUES, DECISIONS AND RATIONALES")
    text = head + (
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set forth below:\n\n"
        "Acute inpatient rehabilitation x 2 weeks was the original request. Skilled nursing facility x 2 weeks was "
        "authorized by the Claims Administrator. The remaining IMR eligible portion of the original request, "
        "Acute inpatient rehabilitation x 2 weeks: Upheld\n"
        "Decision rationale: Written for this test.\n\n"
        "Inpatient rehabilitation x 3 weeks was the original request. Inpatient rehabilitation x 2 weeks was "
        "authorized by the Claims Administrator. The remaining IMR eligible portion of the original request, "
        "Inpatient rehabilitation x 1 week: Upheld\n"
        "Decision rationale: Written for this test.\n")
    case = extract_text(text, source="substitution.txt")
    substituted, partial = case["requests"]
    assert substituted["substitute"] == "Skilled nursing facility x 2 weeks" and "authorized" not in substituted
    assert partial["authorized"] == "Inpatient rehabilitation x 2 weeks" and "substitute" not in partial
    decided = evaluate(RULES, case_from_dict(case))["determinations"]
    remainder = "odg.nondrug.services.inpatient_rehabilitation_remainder"
    assert remainder not in [r["id"] for r in decided[0]["rules"]]
    assert remainder in [r["id"] for r in decided[1]["rules"]]


def test_a_surgery_of_the_summary_gets_its_procedure():
    from engine.extraction import read_text
    facts = read_text("The patient underwent a right knee arthroscopic partial meniscectomy on 03/04/2016.")
    assert facts["treatments"][0]["modality"] == "meniscectomy" and facts["treatments"][0]["dates"] == ["2016-03-04"]


# ----------------------------------------------------------------------------- the hand-written letters

def test_the_denied_surgery_letter_its_five_services_follow_it():
    path = ROOT / "examples" / "handwritten" / "surgery-denied-letter.txt"
    assert "HAND-WRITTEN EXAMPLE, NOT A REAL LETTER" in path.read_text()
    for mode in ("summary", "full"):
        case = extract_case(path, mode=mode)
        requests = case["requests"]
        assert requests[0]["kind"] == "surgery" and requests[0]["modality"] == "rotator_cuff_repair"
        assert [r.get("depends_on") for r in requests[1:]] == ["r1"] * 5
        decided = _by_id(evaluate(RULES, case_from_dict(case)))
        assert decided["r1"]["outcome"] == "non_certify"
        assert "mtus.acoem_2004.surgery.rotator_cuff_partial_tear_early" in [
            r["id"] for r in decided["r1"]["rules"] if r["status"] == "holds"]
        for rid in ("r2", "r3", "r4", "r5", "r6"):
            assert decided[rid]["outcome"] == "non_certify"
            assert FOLLOWS in [r["id"] for r in decided[rid]["rules"] if r["status"] == "holds"]


def test_the_certified_surgery_letter_its_services_have_their_own_rules():
    path = ROOT / "examples" / "handwritten" / "surgery-certified-letter.txt"
    case = extract_case(path, mode="summary")
    decided = _by_id(evaluate(RULES, case_from_dict(case)))
    got = {rid: d["outcome"] for rid, d in decided.items()}
    assert got == {"r1": "certify", "r2": "certify", "r3": "non_certify", "r4": "certify", "r5": "certify",
                   "r6": "certify", "r7": "certify", "r8": "non_certify"}
    assert all(d["depends_on"] == {"request_id": "r1", "outcome": "certify"} for rid, d in decided.items() if rid != "r1")


# ----------------------------------------------------------------------------- the dev letters

def _dev_letters():
    if not DEV.is_dir():
        pytest.skip("the dev letters (../shared/corpus/dev-letters) are not here: a fresh clone has no /work/shared")
    return sorted(DEV.glob("*.pdf"))


SURGICAL_KINDS = ("surgery", "surgery_associated")


def test_no_dependent_item_is_certified_while_its_index_is_denied():
    checked = 0
    for path in _dev_letters():
        for mode in ("summary", "full"):
            document = evaluate_case(RULES, case_from_dict(extract_case(path, mode=mode), file=path.name))
            for d in document["determinations"]:
                if d.get("depends_on", {}).get("outcome") == "non_certify":
                    checked += 1
                    assert d["outcome"] == "non_certify", (path.name, mode, d["request_id"])
    assert checked


def test_every_dev_surgery_item_has_a_rule_or_a_stated_reason():
    """The surgery and surgery-tied items without a rule are listed in docs/nondrug.md with the reason."""
    listed = (ROOT / "docs" / "nondrug.md").read_text()
    missing = []
    for path in _dev_letters():
        for mode in ("summary", "full"):
            case = extract_case(path, mode=mode)
            document = evaluate_case(RULES, case_from_dict(case, file=path.name))
            for request, d in zip(case["requests"], document["determinations"]):
                tied = request.get("kind") in SURGICAL_KINDS or request.get("perioperative") or request.get("depends_on")
                if tied and d["outcome"] == "no_rule" and f"{path.stem} {d['request_id']}" not in listed:
                    missing.append((path.stem, mode, d["request_id"], request["text"]))
    assert missing == []


def test_surgery_rule_tests_copy_no_letter_item():
    import yaml
    from test_nondrug_cases import _letter_item_lines
    items = _letter_item_lines()
    files = [ROOT / "rules" / "acoem" / "surgery.yaml", ROOT / "rules" / "acoem" / "postoperative.yaml",
             ROOT / "rules" / "odg" / "nondrug" / "surgery.yaml", ROOT / "rules" / "odg" / "nondrug" / "postoperative.yaml",
             ROOT / "rules" / "mtus" / "principles" / "dependencies.yaml",
             ROOT / "rules" / "mtus" / "postsurgical-2009" / "physical-medicine.yaml"]
    texts = [r["text"] for path in files for rule in yaml.safe_load(path.read_text())["rules"]
             for test in rule["tests"] for r in test["case"].get("requests", [])]
    texts += [r["text"] for path in (ROOT / "examples" / "cases").glob("surgery-*.json")
              for r in json.loads(path.read_text())["requests"]]
    assert texts
    assert [t for t in texts if re.sub(r"\W+", " ", t.lower()).strip() in items] == []
