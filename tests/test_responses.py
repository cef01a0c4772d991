"""Earlier treatment and what it did (engine/extraction/responses.py), and what the record says
of the drugs: courses with their response and attendance, drug classes named as courses, drugs
new to the patient, drugs a procedure delivers. Sentences written for the tests."""
from __future__ import annotations

import pytest

from engine.extraction import read_text


def _read(text: str, section: str = "summary") -> tuple[dict[str, str], list[dict], dict]:
    facts = read_text(text, section=section)
    findings = {k: v["status"] for k, v in facts.get("findings", {}).items()}
    return findings, facts.get("treatments", []), facts


def _value(fact):
    return fact["value"] if isinstance(fact, dict) else fact


# -- a course and its response ------------------------------------------------------------------
def test_a_course_that_helped_has_not_failed():
    findings, treatments, _ = _read("She completed 12 sessions of physical therapy for the lumbar spine, which "
                                    "helped her pain.")
    assert findings["conservative_care_failed"] == "absent"
    (course,) = treatments
    assert (course["kind"], _value(course["count"]), _value(course["response"])) == ("physical_therapy", 12, "improved")
    assert course["body_part"] == "lumbar_spine"


def test_a_course_without_improvement_failed():
    findings, treatments, _ = _read("He had 8 visits of chiropractic care with no improvement.")
    assert findings["conservative_care_failed"] == "present"
    assert _value(treatments[0]["response"]) == "not_improved"


def test_a_course_given_is_not_a_course_failed():
    findings, _, _ = _read("The patient has had physical therapy.")
    assert "conservative_care_failed" not in findings


@pytest.mark.parametrize("sentence", [
    "She was referred to physical therapy but never attended.",
    "He did not attend the scheduled chiropractic sessions.",
])
def test_a_course_never_attended_is_recorded_and_has_not_failed(sentence):
    findings, treatments, _ = _read(sentence)
    assert findings["conservative_care_failed"] == "absent"
    assert treatments and treatments[0]["attended"] is False


def test_not_attending_one_course_says_nothing_of_another():
    findings, treatments, _ = _read("She completed physical therapy, but never started the home exercise program.")
    therapy = next(t for t in treatments if t["kind"] == "physical_therapy")
    assert "attended" not in therapy
    assert findings["home_exercise_program"] == "absent"
    assert "conservative_care_failed" not in findings


@pytest.mark.parametrize("sentence", [
    "There are no physical therapy progress notes.",
    "No physical therapy notes were submitted.",
])
def test_a_courses_missing_notes_are_a_gap_in_the_record_not_a_response(sentence):
    findings, _, _ = _read(sentence, section="rationale")
    assert "conservative_care_failed" not in findings


def test_objective_gains_after_a_course_are_functional_improvement():
    findings, _, _ = _read("After 6 sessions of physical therapy his range of motion and strength improved and he "
                           "returned to modified duty.")
    assert findings["functional_improvement"] == "present"
    assert findings["conservative_care_failed"] == "absent"


# -- drug classes named as courses ----------------------------------------------------------------
@pytest.mark.parametrize("sentence, failed", [
    ("NSAIDs did not help her back pain.", {"first_line_failed"}),
    ("Anticonvulsants and antidepressants failed to relieve her neuropathic pain.",
     {"first_line_failed", "neuropathic_first_line_failed"}),
])
def test_a_drug_class_that_did_not_help_is_a_failed_trial(sentence, failed):
    findings, _, _ = _read(sentence)
    assert {k for k in failed if findings.get(k) == "present"} == failed


def test_a_drug_class_as_a_subject_in_the_present_is_the_guideline():
    findings, _, _ = _read("NSAIDs are recommended as an option for short-term symptomatic relief.")
    assert findings == {}


# -- drugs new to the patient ------------------------------------------------------------------
@pytest.mark.parametrize("sentence, expected", [
    ("He has not taken a muscle relaxant before.", [{"drug_class": "muscle_relaxant"}]),
    ("He has never tried an NSAID.", [{"drug_class": "nsaid"}]),
    ("No prior opioid use.", [{"drug_class": "opioid"}]),
    ("Norco was newly prescribed on 11/02/2016.", [{"generic": "hydrocodone/acetaminophen"}]),
    ("He was started on cyclobenzaprine today.", [{"generic": "cyclobenzaprine"}]),
])
def test_a_drug_new_to_the_patient(sentence, expected):
    first_use = read_text(sentence).get("first_use")
    assert [{k: v for k, v in entry.items() if k != "evidence"} for entry in first_use] == expected


@pytest.mark.parametrize("sentence", [
    "He did not take his naproxen before the visit.",
    "She has been on Norco for 2 years.",
    "His wife has never taken opioids.",
    "If he has not taken a muscle relaxant before, a short course is reasonable.",
])
def test_not_a_first_use(sentence):
    assert "first_use" not in read_text(sentence)


def test_a_first_use_gives_the_request_no_earlier_use():
    from engine.extraction.pipeline import _prior_use
    facts = read_text("He has not taken a muscle relaxant before.")
    request = {"drug": {"generic": "cyclobenzaprine", "drug_class": "muscle_relaxant"}}
    prior = _prior_use(request, facts.get("medications"), facts["first_use"])
    assert prior["value"] == 0 and prior["evidence"]["quote"] == "He has not taken a muscle relaxant before."
    # a stated duration wins over a first use
    facts = read_text("He has taken cyclobenzaprine for 3 months. He has not taken a muscle relaxant before.")
    assert _prior_use(request, facts["medications"], facts["first_use"])["value"] == pytest.approx(13, abs=1)


# -- plans and procedures ------------------------------------------------------------------------
def test_an_opioid_the_plan_adds_is_an_opioid_being_started_not_one_taken():
    findings, _, facts = _read("The treatment plan included a lumbar MRI, physical therapy, naproxen and tramadol.")
    assert "medications" not in facts
    assert findings["opioid_started"] == "present"


@pytest.mark.parametrize("sentence", [
    "The lumbar epidural steroid injection gave 60% relief for 8 weeks.",
    "He received a Toradol injection in the office.",
])
def test_a_drug_a_procedure_delivers_is_not_a_medication_or_a_risk(sentence):
    findings, _, facts = _read(sentence)
    assert "medications" not in facts
    assert "gi_risk_factor" not in findings


def test_a_systemic_steroid_is_a_gi_risk_factor():
    findings, _, _ = _read("She takes prednisone 10 mg daily.")
    assert findings["gi_risk_factor"] == "present"


def test_a_plural_class_subject_with_a_past_event_is_the_patients_history():
    findings, _, _ = _read("NSAIDs and muscle relaxants were tried without benefit.")
    assert findings["first_line_failed"] == "present"
