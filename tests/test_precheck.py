"""`mtus precheck`: a progress report and its requests -> outcome, criteria with the report's
sentences, checklist, guideline sections.

The example reports in examples/reports/ are written as a treating physician would write them.
Each test asserts what the reader and the rules give today. Where that differs from what the
report plainly documents (the reader misses a sentence), the test says so and a strict xfail
test holds the outcome the report deserves, so that it flips when the reader learns the
sentence (the sentences are listed in docs/clinician.md#known-gaps).
"""
import json
from pathlib import Path

import pytest

from engine import load_rules
from engine.cli import main
from engine.extraction import normalise_text, read_letter
from engine.precheck import PrecheckError, build_case, find_requests, precheck, report_date, sentence_at

REPORTS = Path(__file__).resolve().parent.parent / "examples" / "reports"


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def check(rules, name, requests=None):
    text = read_letter(str(REPORTS / name))
    case, document = precheck(rules, text, requests)
    (d,) = document["determinations"]
    return text, case, d


def results(d, rule_suffix):
    """criterion -> result for the applicable rule whose id ends with `rule_suffix`."""
    return {c["criterion"]: c["result"] for c in d["precheck"]["criteria"] if c["rule"].endswith(rule_suffix)}


def checklist(d):
    return [item["document"] for item in d["precheck"]["checklist"]]


def sentences(d, rule_suffix, criterion):
    return [s["sentence"] for c in d["precheck"]["criteria"]
            if c["rule"].endswith(rule_suffix) and c["criterion"] == criterion for s in c["sentences"]]


# ------------------------------------------------------------------------------ the six reports

def test_opioid_refill_with_the_four_as(rules):
    """The 4 A's are read with their sentences ('She reports mild constipation, managed with
    docusate, and no sedation.' shows side effects assessed): the refill is certified and
    nothing is left to add."""
    text, case, d = check(rules, "opioid-refill-documented.txt")
    assert case["requests"][0]["drug"]["generic"] == "hydrocodone/acetaminophen"
    assert case["requests"][0]["date_of_service"] == "2016-03-15"
    four_as = results(d, "opioids.ongoing_management")
    assert four_as == {"analgesia": "met", "activities": "met", "adverse_effects": "met",
                       "aberrant_behavior": "met"}
    assert sentences(d, "ongoing_management", "analgesia") == [
        "She rates her pain 8/10 without medications and 3/10 with medications."]
    assert sentences(d, "ongoing_management", "activities") == ["She returned to modified duty 6 hours a day."]
    assert "No aberrant drug-related behaviors." in sentences(d, "ongoing_management", "aberrant_behavior")
    assert any("constipation" in s for s in sentences(d, "ongoing_management", "adverse_effects"))
    assert d["outcome"] == "certify"
    assert checklist(d) == []
    assert any("on-going management" in s for s in d["precheck"]["sections"])


def test_opioid_refill_without_the_four_as(rules):
    """Nothing of the 4 A's is stated: every one is not documented (never met), the outcome is
    non-certify and the checklist lists all four."""
    _, _, d = check(rules, "opioid-refill-undocumented.txt")
    assert d["outcome"] == "non_certify"
    assert set(results(d, "opioids.ongoing_management").values()) == {"not_documented"}
    items = checklist(d)
    for wanted in ("Pain scores with and without the opioid", "functional gains", "side effects",
                   "aberrant drug-taking behaviour"):
        assert any(wanted in item for item in items), wanted


def test_muscle_relaxant_for_a_flare(rules):
    """The flare is read from the report, and 'He has not taken a muscle relaxant before.' is a
    first use of the class: 0 weeks of earlier use, so the course is short. The requested drug
    itself is not taken for one the patient already takes (request lines are not read as
    history): certified."""
    _, case, d = check(rules, "muscle-relaxant-flare.txt")
    request = case["requests"][0]
    assert request["drug"]["generic"] == "cyclobenzaprine"
    assert not any(m.get("generic") == "cyclobenzaprine" for m in case.get("medications", []))
    assert request["prior_use_weeks"]["value"] == 0
    assert request["prior_use_weeks"]["evidence"]["quote"] == "He has not taken a muscle relaxant before."
    assert results(d, "muscle_relaxants.short_term_exacerbation") == {"exacerbation": "met", "short_course": "met"}
    assert any("sudden flare of low back pain" in s
               for s in sentences(d, "short_term_exacerbation", "exacerbation"))
    assert results(d, "cyclobenzaprine_added_to_other_agents") == {"with_other_agents": "unmet"}
    assert d["outcome"] == "certify"
    assert checklist(d) == []


def test_physical_therapy_after_a_first_course(rules):
    """Six visits given and four asked stay within the allowance of ten, and the benefit of the
    first course is read ('Right shoulder forward flexion has improved from 100 to 150
    degrees.'): certified."""
    _, case, d = check(rules, "physical-therapy-after-first-course.txt")
    request = case["requests"][0]
    assert (request["kind"], request["visits"], request["prior_visits"]["value"]) == ("physical_therapy", 4, 6)
    assert results(d, "physical_medicine.visit_allowance") == {"within_allowance": "met", "prior_benefit": "met"}
    assert results(d, "home_program_after_full_course") == {"full_course_given": "unmet"}
    assert d["outcome"] == "certify"
    assert checklist(d) == []


def test_lumbar_mri_with_radicular_findings(rules):
    """Nerve compromise, failed therapy and surgery considered ('He wishes to consider an
    epidural injection or surgery ...') are met, each with its sentence: certified."""
    _, _, d = check(rules, "lumbar-mri-radicular.txt")
    assert results(d, "imaging.lumbar_nerve_compromise") == {
        "nerve_compromise": "met", "no_response_to_treatment": "met", "surgery_considered": "met"}
    assert any("decreased sensation to light touch in the left L5 dermatome" in s
               for s in sentences(d, "lumbar_nerve_compromise", "nerve_compromise"))
    assert d["outcome"] == "certify"
    assert checklist(d) == []
    assert any("Low back" in s or "low back" in s.lower() for s in d["precheck"]["sections"])


def test_lumbar_mri_without_radicular_findings(rules):
    """No nerve compromise: the nerve-compromise criterion is not met (the negative straight leg
    raise is cited), and the MRI is not certified."""
    _, _, d = check(rules, "lumbar-mri-no-radicular.txt")
    assert d["outcome"] == "non_certify"
    crit = results(d, "imaging.lumbar_nerve_compromise")
    assert crit["nerve_compromise"] != "met" and crit["surgery_considered"] == "not_documented"
    assert "Straight leg raise is negative bilaterally." in sentences(d, "lumbar_nerve_compromise", "nerve_compromise")
    assert crit["nerve_compromise"] == "unmet"     # a normal examination is documented: nothing to add
    assert not any("neurological examination" in item for item in checklist(d))


def test_shoulder_surgery_request(rules):
    """A lesion on MRI, more than three months since the injury, and failed conservative care:
    the decompression is certified and nothing is left to add."""
    _, case, d = check(rules, "shoulder-surgery.txt")
    request = case["requests"][0]
    assert (request["kind"], request["body_part"]) == ("surgery", "shoulder")
    assert results(d, "surgery.shoulder_lesion_failed_exercise") == {"surgical_lesion": "met", "exercise_failed": "met"}
    assert any("partial-thickness supraspinatus tear" in s
               for s in sentences(d, "surgery.shoulder_lesion_failed_exercise", "surgical_lesion"))
    assert d["outcome"] == "certify"
    assert checklist(d) == []


# ------------------------------------------------------------------------------ the pieces

def test_a_report_that_states_nothing_shows_every_criterion_as_not_documented(rules):
    text = normalise_text("Progress report.\nThe patient returns for follow-up.\nRequest: Norco 10/325 mg #90\n")
    _, document = precheck(rules, text)
    (d,) = document["determinations"]
    four_as = results(d, "opioids.ongoing_management")
    assert four_as and set(four_as.values()) == {"not_documented"}
    assert all(c["result"] != "met" for c in d["precheck"]["criteria"] if c["effect"] == "support")
    assert d["outcome"] == "non_certify"


def test_request_lines_are_found_in_their_usual_forms():
    text = ("PLAN:\nContinue home exercise.\nRequest: Norco 10/325 mg #90; Naproxen 550 mg #60\n"
            "RFA: Physical therapy 2x4 for the lumbar spine\n"
            "We will request authorization for an MRI of the left knee. Follow up in 4 weeks.\n"
            "Requests:\n1. Lidoderm patch #30\n- TENS unit rental\n\nNext visit in a month.\n")
    found = find_requests(text)
    assert [r.text for r in found] == ["Norco 10/325 mg #90", "Naproxen 550 mg #60",
                                       "Physical therapy 2x4 for the lumbar spine", "an MRI of the left knee",
                                       "Lidoderm patch #30", "TENS unit rental"]
    assert all(text[r.start:r.end] == r.text for r in found)


def test_a_report_without_requests_is_an_error_unless_requests_are_given(rules):
    text = normalise_text("The patient is a 44 year old female with low back pain.\n")
    with pytest.raises(PrecheckError) as err:
        build_case(text)
    assert err.value.code == "no_requests"
    case = build_case(text, ["Norco 10/325 mg #90"], date_of_service="2016-03-15")
    assert case["requests"][0]["date_of_service"] == "2016-03-15"
    assert "evidence" not in case["requests"][0]


def test_report_date_and_sentence_spans():
    assert report_date("Patient: X\nDate of service: 3/15/16\n") == "2016-03-15"
    assert report_date("DOS: 04/01/2017\n") == "2017-04-01"
    assert report_date("no date here\n") is None
    text = "SUBJECTIVE:\nShe walks daily. She returned to work. She sleeps well.\n"
    at = text.index("returned")
    s, e = sentence_at(text, at, at + 8)
    assert text[s:e] == "She returned to work."


def test_precheck_cli_text_json_and_errors(tmp_path, capsys):
    """GIVEN a report WHEN `mtus precheck` runs THEN the text shows the outcome, the criteria with
    the report's sentences, the checklist and the sections; --json gives the determination
    document; a report without requests exits 3 naming the file; a bad date exits 2."""
    report = str(REPORTS / "opioid-refill-undocumented.txt")
    assert main(["precheck", report]) == 0
    out = capsys.readouterr().out
    assert "NON-CERTIFY" in out and "NOT DOCUMENTED" in out and "add to the report:" in out
    assert "guideline sections cited:" in out and "[ ] Whether the opioid causes side effects" in out
    assert main(["precheck", "--json", report]) == 0
    document = json.loads(capsys.readouterr().out)
    (d,) = document["determinations"]
    assert document["input"].endswith("opioid-refill-undocumented.txt")
    assert d["outcome"] == "non_certify" and d["imr_equivalent"] == "Upheld" and "precheck" in d
    assert main(["precheck", "--json", "--request", "Soma 350 mg #60", "--date-of-service", "03/01/2016",
                 report]) == 0
    (d,) = json.loads(capsys.readouterr().out)["determinations"]
    assert d["request"] == "Soma 350 mg #60" and d["guideline"]["date"] == "2016-03-01"
    bare = tmp_path / "bare.txt"
    bare.write_text("The patient is seen for follow-up.\n", encoding="utf-8")
    assert main(["precheck", str(bare)]) == 3
    assert "bare.txt" in capsys.readouterr().err
    assert main(["precheck", "--date-of-service", "someday", report]) == 2


def test_precheck_output_is_deterministic(capsys):
    report = str(REPORTS / "lumbar-mri-radicular.txt")
    outputs = []
    for _ in range(2):
        assert main(["precheck", "--json", report]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
