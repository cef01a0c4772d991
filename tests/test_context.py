"""The reader's context of a mention (engine/extraction/context.py): what a sentence asserts about
each thing it names. One test per mechanism, on sentences written for the test; the assertion
kinds and their precedence are in docs/extraction.md."""
from __future__ import annotations

import pytest

from engine.extraction import read_text
from engine.extraction.context import assert_mention
from engine.extraction.sentences import clean_text, prepare_segment
from engine.extraction.vocabulary import default_vocabulary

VOCAB = default_vocabulary()


def _assertion(sentence: str, word: str, concept: str | None = None) -> str:
    """The assertion kind for the first occurrence of `word` in `sentence`."""
    seg = prepare_segment(sentence, "summary", 0, len(sentence), VOCAB)
    sent = seg.sentences[0]
    text = clean_text(sent, VOCAB)
    start = text.index(word)
    return assert_mention(sent, start, start + len(word), VOCAB, concept=concept).kind


def _findings(text: str, section: str = "summary") -> dict[str, str]:
    return {k: v["status"] for k, v in read_text(text, section=section).get("findings", {}).items()}


def _drugs(text: str) -> list[tuple[str, str | None]]:
    return [(m.get("generic"), m.get("status")) for m in read_text(text).get("medications", [])]


# -- the classes --------------------------------------------------------------------------------
@pytest.mark.parametrize("sentence, word, kind", [
    ("The patient denies numbness in the legs.", "numbness", "negated"),
    ("There is no documentation of functional improvement.", "functional improvement", "lacking"),
    ("If there is no functional improvement, opioids should be discontinued.", "functional improvement",
     "hypothetical"),
    ("His father has lumbar radiculopathy.", "radiculopathy", "other"),
    ("An MRI of the lumbar spine was requested.", "mri", "planned"),
    ("She takes naproxen daily.", "naproxen", "affirmed"),
])
def test_each_class_has_its_trigger(sentence, word, kind):
    assert _assertion(sentence, word) == kind


def test_a_stronger_class_wins_over_a_negation_inside_it():
    """'If there is no ...': the condition, not a denial; precedence puts hypothetical first."""
    assert _findings("If there is no functional improvement, opioids should be discontinued.") == {}


# -- lists ------------------------------------------------------------------------------------
def test_a_plan_governs_every_item_of_the_list_it_heads():
    """GIVEN a plan that lists a study, therapy and two drugs WHEN read THEN none of the drugs is
    one the patient takes; the opioid the plan adds is an opioid being started."""
    text = "The treatment plan included for the patient to undergo an MRI of the lumbar spine, physical therapy, naproxen, and tramadol."
    assert _drugs(text) == []
    assert _findings(text).get("opioid_started") == "present"


def test_the_same_drugs_taken_are_medications():
    assert _drugs("She has been taking tramadol and naproxen for six months.") == [("tramadol", "current"),
                                                                                  ("naproxen", "current")]


def test_a_denial_governs_a_list_of_short_items():
    assert _findings("The patient denies fever, chills, night sweats, numbness, tingling or weakness.") == {
        "neurologic_deficit": "absent", "radicular_symptoms": "absent", "red_flags": "absent"}


def test_a_negation_does_not_reach_past_an_item_that_is_a_clause_or_a_result():
    """'No tenderness, decreased range of motion, positive straight leg raise': three findings,
    only the first denied; grades and degrees mark examination results, each its own."""
    found = _findings("There was no tenderness of the paraspinals, decreased range of motion, positive straight "
                      "leg raise on the right at 40 degrees.")
    assert found.get("radiculopathy_on_exam") == "present"
    assert found.get("limited_range_of_motion") == "present"


def test_a_modifier_trigger_heads_no_list():
    """'intact sensation, and patellar and Achilles reflexes 2+': 'intact' is a modifier of one
    item, so the reflexes are read on their own (a normal result: no deficit)."""
    found = _findings("Straight leg raise negative for leg pain, with 5/5 strength, intact sensation, and patellar "
                      "and Achilles DTRs 2+ and symmetric.")
    assert found.get("neurologic_deficit") == "absent"


# -- guideline criteria and pseudo-triggers -----------------------------------------------------
def test_criteria_a_reviewer_enumerates_are_not_findings():
    """'does not meet criteria ... including, but not limited to, red flags, ...': names of
    criteria, read as neither present nor absent."""
    found = _findings("The patient does not meet the criteria for a lumbar MRI including, but not limited to, red "
                      "flags, neurological deficits, failure to progress a strengthening program meant to avoid "
                      "surgery or clarification of anatomy before surgery.", section="rationale")
    assert found == {}


def test_a_pseudo_trigger_opens_no_clause():
    """', but not limited to,' neither negates nor cuts the sentence: the hypothetical before it
    still governs what follows."""
    sentence = "Criteria for surgery include, but are not limited to, red flags."
    assert _assertion(sentence, "red flags") == "hypothetical"


# -- durations belong to what they follow ---------------------------------------------------------
def test_a_drugs_duration_does_not_make_the_symptoms_long_standing():
    assert "symptoms_longstanding" not in _findings("She has been taking tramadol and naproxen for six months.")


@pytest.mark.parametrize("sentence", [
    "He has had low back pain for the past 8 months.",
    "She reports a 2 year history of neck pain.",
    "He has had years of knee pain.",
])
def test_symptoms_with_a_duration_of_months_are_long_standing(sentence):
    assert _findings(sentence).get("symptoms_longstanding") == "present"


# -- scope: where a trigger stops --------------------------------------------------------------
def test_a_result_in_an_examination_context_is_a_negative_finding_not_a_gap():
    """'Neuro: ...; sensory loss ... was not identified': the examination found none (absent),
    the record is not said to lack it."""
    found = _findings("Neuro: strength graded normal on both sides; sensory loss in the L4, L5 or S1 dermatomes was "
                      "not identified; SLR testing was negative bilaterally.")
    assert found["neurologic_deficit"] == "absent"
    assert found["radiculopathy_on_exam"] == "absent"


def test_a_backward_trigger_belongs_to_its_own_clause():
    """'... flexion has gone from 110 to 165 degrees and his night pain has largely abated': the
    abating is the pain's; the gain in motion stands."""
    found = _findings("After eight sessions of therapy his shoulder flexion has gone from 110 to 165 degrees and his "
                      "night pain has largely abated.")
    assert found["functional_improvement"] == "present"


def test_a_negation_does_not_reach_a_later_item_with_its_own_result():
    found = _findings("She could not toe-walk on the left, and the left ankle reflex was unobtainable.")
    assert found.get("radiculopathy_on_exam") == "present"


@pytest.mark.parametrize("sentence, concept", [
    ("Six weeks after the injection there has been no letup in the tingling of the right thumb.", "radicular_symptoms"),
    ("The physician would not rule out a fracture of the fourth metacarpal without films.", "fracture_suspected"),
    ("He never skips his core stabilization routine at home.", "home_exercise_program"),
])
def test_pseudo_negations_affirm(sentence, concept):
    assert _findings(sentence).get(concept) == "present"


def test_until_ends_a_negation():
    found = _findings("He did not disclose the fills to his physician until the CURES report revealed them.")
    assert found.get("cures_checked") == "present"


@pytest.mark.parametrize("sentence, concept", [
    ("Nowhere in the 200 pages submitted is there a signed pain contract.", "opioid_agreement"),
    ("The CURES database is not referenced in any of the reports.", "cures_checked"),
])
def test_a_gap_in_the_record_in_other_words(sentence, concept):
    assert _findings(sentence, section="rationale").get(concept) == "not_documented"


# -- subjects --------------------------------------------------------------------------------
@pytest.mark.parametrize("sentence, concept", [
    ("His twin brother has a neuropathy, and a maternal uncle had multiple sclerosis with leg spasticity.", "spasticity"),
    ("Anxiety runs in the family: a sister is treated for panic disorder.", "anxiety_symptoms"),
])
def test_relatives_after_a_comma_or_a_colon_are_other_people(sentence, concept):
    assert concept not in _findings(sentence)


@pytest.mark.parametrize("sentence", [
    "Localized neuropathic pain is understood in the guideline as pain confined to the territory of a single nerve.",
    "The MTUS is explicit on this point: a flare calls for re-evaluation before more visits are given.",
])
def test_the_guidelines_definitions_and_readings_are_not_findings(sentence):
    assert _findings(sentence, section="rationale") == {}


# -- precision: statements that are not the concept ---------------------------------------------
@pytest.mark.parametrize("sentence, concept", [
    ("The injured worker is being treated for an acute injury; therefore, the Chronic Pain Medical Treatment "
     "Guidelines do not apply.", "acute_exacerbation"),
    ("The injured worker is being treated for an acute injury; therefore, the Chronic Pain Medical Treatment "
     "Guidelines do not apply.", "symptoms_longstanding"),
    ("The pain has increased in the thumb with repeated gripping and grasping.", "acute_exacerbation"),
    ("He complains of neck, shoulder, low back and leg pain.", "radicular_symptoms"),
    ("She has constant stabbing pain in the left groin.", "radicular_symptoms"),
    ("There was limited range of motion of the left wrist with guarding.", "muscle_spasm"),
    ("The injured worker is not working.", "medication_ineffective"),
    ("There was a positive Hawkins test of the left shoulder.", "structural_lesion_suspected"),
    ("She reports numbness in the thumb and index finger of the right hand.", "carpal_tunnel_signs"),
])
def test_a_statement_of_something_else_is_not_the_concept(sentence, concept):
    assert concept not in _findings(sentence)


@pytest.mark.parametrize("sentence, concept", [
    ("Her low back pain suddenly worsened two days ago.", "acute_exacerbation"),
    ("His pain has worsened since the fall last week.", "acute_exacerbation"),
    ("Two days ago his chronic back pain abruptly spiked from 3/10 to 8/10.", "symptoms_longstanding"),
    ("There was a positive Hawkins test of the left shoulder.", "impingement_signs"),
    ("Right shoulder impingement signs (Neer and Hawkins) are positive.", "impingement_signs"),
])
def test_the_concept_in_its_own_words_is_still_read(sentence, concept):
    assert _findings(sentence).get(concept) == "present"


@pytest.mark.parametrize("sentence", [
    "A Cochrane review of the literature suggested that NSAIDs were no more effective than other drugs.",
    "Cyclobenzaprine is associated with an increase in dizziness and sedation.",
    "Patient-specific hand therapy is very important in reducing swelling and improving range of motion.",
    "Home health services include intravenous therapy, wound care and other skilled nursing services.",
])
def test_the_literature_and_drug_information_are_not_findings(sentence):
    assert _findings(sentence, section="rationale") == {}


def test_the_items_of_the_guidelines_list_are_not_findings():
    text = ("Opioids should be discontinued in the following circumstances: If there is no overall improvement "
            "in function. Decrease in functioning. Resolution of pain. Patient has engaged in illegal or dangerous "
            "activity, including diversion, prescription forgery, or stealing.")
    assert _findings(text, section="rationale") == {}


def test_a_record_gap_in_the_patients_name_is_still_a_gap():
    found = _findings("The patient does not have objective documentation of functional improvement with baclofen.",
                      section="rationale")
    assert found == {"functional_improvement": "not_documented"}
    assert _findings("The patient does not have radicular symptoms.") == {"radicular_symptoms": "absent"}


def test_what_the_record_does_not_reveal_is_lacking_whole():
    found = _findings("The documentation does not reveal that the knee condition is due to patellar tendinosis.",
                      section="rationale")
    assert found == {"tendinitis": "not_documented"}


def test_a_suspicion_that_cannot_be_ruled_out():
    assert _findings("A fracture cannot be ruled out.") == {"fracture_suspected": "present"}
    assert _findings("A fracture was ruled out.") == {"fracture_suspected": "absent"}
    # for a concept that is not a suspicion, it is a possibility, not a fact
    assert "radiculopathy_on_exam" not in _findings("Radiculopathy could not be excluded.")


@pytest.mark.parametrize("sentence", ["Spurling's test was not performed.", "Straight leg raise was not done."])
def test_a_test_not_done_has_no_result(sentence):
    assert _findings(sentence) == {}


# -- regions from the statement's own list item --------------------------------------------------
def test_a_mention_takes_its_region_from_its_own_list_item():
    findings = read_text("There was tenderness to the medial edge of the left scapula, decreased range of motion of "
                         "the cervical spine.")["findings"]
    assert findings["limited_range_of_motion"]["body_parts"] == ["cervical_spine"]
    assert "side" not in findings["limited_range_of_motion"]


def test_a_fronted_side_sets_the_place_of_the_clause():
    findings = read_text("On the left, straight leg raise at 30 degrees reproduces pain to the lateral foot.")["findings"]
    assert findings["radiculopathy_on_exam"]["side"] == "left"


def test_a_list_that_shares_its_place():
    findings = read_text("Tenderness, spasm and decreased range of motion of the lumbar spine were noted.")["findings"]
    assert findings["muscle_spasm"]["body_parts"] == ["lumbar_spine"]


def test_whole_person_concepts_carry_no_region():
    findings = read_text("The provider requested a preoperative chest x-ray and post-operative Norco after the "
                         "knee arthroscopy.")["findings"]
    assert findings["opioid_started"]["status"] == "present" and "body_parts" not in findings["opioid_started"]


def test_diagnoses_and_treatment_courses_name_their_regions():
    facts = read_text("The diagnoses include right knee medial meniscus tear, lumbar radiculopathy, and bilateral "
                      "carpal tunnel syndrome. She completed 12 sessions of physical therapy for the left shoulder.")
    regions = [(d.get("body_parts"), d.get("side")) for d in facts["diagnoses"]]
    assert regions == [(["knee"], "right"), (["lumbar_spine"], None), (["wrist"], "bilateral")]
    (course,) = facts["treatments"]
    assert (course["body_parts"], course["side"]) == (["shoulder"], "left")


# -- the second round of the precision check -----------------------------------------------------
@pytest.mark.parametrize("sentence, side", [
    ("Straight leg raise was negative on the right and positive on the left.", "left"),
    ("She had a positive straight leg raise on the left at 45 degrees and negative on the right.", "left"),
])
def test_a_positive_test_on_one_side_stands_beside_a_negative_one_on_the_other(sentence, side):
    finding = read_text(sentence)["findings"]["radiculopathy_on_exam"]
    assert (finding["status"], finding["side"]) == ("present", side)


def test_a_negative_test_with_a_positive_word_about_something_else_stays_negative():
    text = "Straight leg raise to 90 degrees without leg pain, positive for back pain."
    assert _findings(text)["radiculopathy_on_exam"] == "absent"


def test_a_crossed_test_takes_no_side_from_the_leg_lifted():
    finding = read_text("Crossed straight leg raise is positive: lifting the right leg sends pain down the left "
                        "leg to the foot.")["findings"]["radiculopathy_on_exam"]
    assert finding["status"] == "present" and finding.get("side") != "right"


def test_a_region_keeps_the_side_its_part_was_given_earlier_in_the_clause():
    finding = read_text("The diagnoses are left shoulder labral tear, possible rotator cuff tear.")["findings"][
        "structural_lesion_suspected"]
    assert (finding["body_parts"], finding["side"]) == (["shoulder"], "left")


@pytest.mark.parametrize("sentence, concept", [
    ("He reports shooting right leg pain.", "radicular_symptoms"),
    ("He has chronic posttraumatic headache.", "symptoms_longstanding"),
    ("Her pain radiates to the right foot.", "radicular_symptoms"),
])
def test_still_read_after_the_narrowing(sentence, concept):
    assert _findings(sentence).get(concept) == "present"


@pytest.mark.parametrize("sentence, section", [
    ("The injured worker reported pain to the right foot is sharp.", "summary"),
    ("Moreover, given there is no benefit over NSAIDs, the request is not supported.", "rationale"),
    ("Per UpToDate, sildenafil is used in the treatment of pulmonary arterial hypertension.", "rationale"),
    ("Current medications include a Flovent inhaler, gabapentin and omeprazole.", "summary"),
])
def test_no_finding_from_a_site_a_class_comparison_a_reference_or_an_inhaled_steroid(sentence, section):
    assert _findings(sentence, section=section) == {}


def test_a_negated_verb_of_effect_leaves_its_object_standing():
    found = _findings("Gabapentin did not help her neuropathic pain.")
    assert found["neuropathic_pain"] == "present"
    assert found["neuropathic_first_line_failed"] == "present"
    assert _findings("He has no radicular symptoms.") == {"radicular_symptoms": "absent"}
