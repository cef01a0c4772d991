"""Unit tests of the fact extractor on real letter wording (seed letters and dev-corpus PDFs).

Each extractor is fed a segment placed inside a longer text, so evidence offsets are checked
against the whole text, as the letter reader will hand them over.
"""
from __future__ import annotations

import copy
import glob
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from engine.extraction.facts import extract_facts, extract_item_facts, load_vocabulary
from engine.extraction.phrases import PhraseError, compile_phrase

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "engine" / "schemas" / "case.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
FINDINGS = yaml.safe_load((ROOT / "rules" / "vocab" / "findings.yaml").read_text(encoding="utf-8"))
CONCEPTS = {t["id"] for t in FINDINGS["terms"]}
for _extra in sorted((ROOT / "rules" / "vocab").glob("findings-*.yaml")):    # merged area files
    CONCEPTS |= {t["id"] for t in yaml.safe_load(_extra.read_text(encoding="utf-8"))["terms"]}
DEV = Path("/work/shared/corpus/dev-letters")
HEAD = "Case Number: CM00-0000000\nHOW THE IMR FINAL DETERMINATION WAS MADE\nHe/she has been in practice.\n"


def place(body: str, name: str):
    """The body inside a letter-like text, and its segment."""
    text = HEAD + body + "\nIMR ISSUES, DECISIONS AND RATIONALES\n"
    start = len(HEAD)
    return text, [(name, start, start + len(body))]


def item_findings(body: str) -> dict[str, str]:
    text, segments = place(body, "rationale")
    facts = extract_item_facts(text, segments)
    check_evidence(facts, text)
    return {k: v["status"] for k, v in facts.get("findings", {}).items()}


def summary(body: str) -> dict:
    text, segments = place(body, "summary")
    facts = extract_facts(text, segments)
    check_evidence(facts, text)
    return facts


def value(fact):
    return fact["value"] if isinstance(fact, dict) else fact


def evidences(node):
    if isinstance(node, dict):
        if "quote" in node and "start" in node:
            yield node
        for item in node.values():
            yield from evidences(item)
    elif isinstance(node, list):
        for item in node:
            yield from evidences(item)


def check_evidence(facts: dict, text: str) -> None:
    for ev in evidences(facts):
        assert text[ev["start"]:ev["end"]] == ev["quote"], ev
        assert ev["quote"].strip() == ev["quote"] and ev["quote"], ev


def as_case(facts: dict, item: dict | None = None) -> dict:
    case = {"requests": [{"text": "x"}]}
    for key, val in facts.items():
        if key != "first_use":        # read into a request's prior use by the pipeline, not a case key
            case[key] = val
    if item:
        if item.get("findings"):
            case["requests"][0]["findings"] = item["findings"]
        if item.get("medications"):
            case["medications"] = case.get("medications", []) + item["medications"]
    return case


def schema_errors(case: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(case)]


# ------------------------------------------------------------------------------ phrase language

def test_phrase_whole_words_and_case():
    ph = compile_phrase("pain relief")
    assert re.search(ph.regex, "documentation of pain relief.")
    assert re.search(ph.regex, "pain-relief")
    assert not re.search(ph.regex, "pain reliefs")
    assert ph.triggers == frozenset({"relief"})


def test_phrase_hyphen_wildcard_gap_optional_number():
    assert re.search(compile_phrase("non-opioid").regex, "failed nonopioid analgesics")
    assert re.search(compile_phrase("non-opioid").regex, "non\ufffeopioid analgesics")   # PDF line-end split
    assert re.search(compile_phrase("spurling*").regex, "positive spurling's sign")
    gap = compile_phrase("uds ...{5} consistent").regex
    assert re.search(gap, "the uds was noted to be consistent")
    assert not re.search(gap, "the uds; it was consistent")
    opt = compile_phrase("(excellent|good)? relief").regex
    assert re.search(opt, "reports relief") and re.search(opt, "reports excellent relief")
    assert re.search(compile_phrase("<num> (visits|sessions)").regex, "six visits of physical therapy")


def test_wildcard_trigger_is_the_longest_part_of_the_word():
    # every part of the word is in any match, so the longest is the cheapest sure test: "o" or
    # "x" as a substring would let the phrase through in almost every sentence
    for phrase, trigger, text in (("o'brien*", "brien*", "positive o'brien's test"),
                                  ("x-ray*", "ray*", "prior xrays of the knee"),
                                  ("spasm*", "spasm*", "paraspinal spasms")):
        ph = compile_phrase(phrase)
        assert ph.triggers == frozenset({trigger})
        m = re.search(ph.regex, text)
        assert m and trigger[:-1] in m.group(0)


def _letter_sentences() -> list[str]:
    from engine.extraction.sentences import split_sentences as _split
    out = []
    for path in sorted((ROOT / "examples" / "letters").glob("*.txt")):
        low = path.read_text(encoding="utf-8").lower()
        out.extend(low[s:e] for s, e in _split(low))
    return out


def test_gates_find_what_their_plain_pattern_finds():
    # a gate skips sentences without its trigger words and tries its pattern only where a first
    # word stands: the first match must be the one a plain search finds, in every sentence
    from engine.extraction.gates import Gate as _Gate
    from engine.extraction.phrases import tokens
    vocab = load_vocabulary()
    gates = [g for g in vars(vocab).values() if isinstance(g, _Gate)]
    gates += [cp.gate for cp in vocab.phrases] + [g for _, g in vocab.dx_tags]
    sentences = _letter_sentences()
    assert len(sentences) > 100
    checked = 0
    for text in sentences:
        words = tokens(text)
        for gate in gates:
            got = gate.search(text, words=words)
            want = gate.regex.search(text)
            assert (got and got.span()) == (want and want.span()), (gate.regex.pattern[:80], text)
            checked += want is not None
    assert checked > 50


def test_trigger_indexes_leave_out_only_what_cannot_match():
    from engine.extraction.phrases import tokens
    vocab = load_vocabulary()
    lists = [(vocab.phrase_index, [cp.gate for cp in vocab.phrases]),
             (vocab.dx_tag_index, [gate for _, gate in vocab.dx_tags])]
    left_out = 0
    for text in _letter_sentences():
        words = tokens(text)
        for index, gates in lists:
            candidates = set(index.candidates(words, text))
            for i, gate in enumerate(gates):
                if i not in candidates:
                    assert gate.regex.search(text) is None, (gate.regex.pattern[:80], text)
                    left_out += 1
    assert left_out > 10_000


def _split_items_by_character(text: str) -> list[tuple[int, int]]:
    """The definition of list splitting, a character at a time: commas and semicolons (not the
    comma before a year) and " and ", outside brackets; ", and " is one separator."""
    items, depth, cursor, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            if ch in ",;" and not re.match(r",\s*(?:19|20)\d\d(?!\d)", text[i:]):
                items.append((cursor, i))
                cursor = i = i + 1 + re.match(r"\s*(?:(?:and|or)\s+)?", text[i + 1:]).end()
                continue
            joint = re.match(r"\s+and\s+", text[i:])
            if joint:
                items.append((cursor, i))
                cursor = i = i + joint.end()
                continue
        i += 1
    items.append((cursor, len(text)))
    return [(s, e) for s, e in items if text[s:e].strip()]


def test_list_items_split_as_defined():
    import random
    from engine.extraction.treatments import split_items as _split_items
    assert _split_items("physical therapy, chiropractic (x 6, 2014), and acupuncture") == [(0, 16), (18, 42), (48, 59)]
    pieces = ["pt", "a", ",", ";", " and ", "and", " ", "(", ")", "[", "]", ", 2014", ",2019", ", and ", " or ",
              "\n", ", or", "band", " and\n"]
    rng = random.Random(3)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _split_items(text) == _split_items_by_character(text), text


def test_alternations_share_the_left_boundary_and_match_as_before():
    from engine.extraction.phrases import alternation_source
    left = r"(?<![\w])"
    assert alternation_source([left + "a", left + "b", ";", left + "c"]) == \
        left + "(?:a|b)|(?:;)|" + left + "(?:c)"
    # every phrase list of the vocabularies: the same matches as the plain alternation
    neg = yaml.safe_load((ROOT / "rules" / "vocab" / "negation.yaml").read_text(encoding="utf-8"))
    lists = []

    def collect(value):
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            lists.append(value)
        elif isinstance(value, dict):
            for sub in value.values():
                collect(sub)
    collect(neg)
    texts = _letter_sentences()
    compared = 0
    for phrases in lists:
        try:
            regexes = [compile_phrase(p).regex for p in phrases]
        except PhraseError:
            continue                      # a plain regex list (enumeration_regex and the like)
        plain = re.compile("|".join("(?:" + r + ")" for r in regexes))
        shared = re.compile(alternation_source(regexes))
        for text in texts:
            assert [m.span() for m in shared.finditer(text)] == [m.span() for m in plain.finditer(text)]
            compared += 1
    assert compared > 5_000


def test_phrase_errors():
    for bad in ("(unclosed", "a | b", "", "closed)"):
        with pytest.raises(PhraseError):
            compile_phrase(bad)


def test_every_vocabulary_phrase_compiles_and_every_concept_has_phrases():
    vocab = load_vocabulary()
    assert set(vocab.concepts) == CONCEPTS
    with_phrases = {cp.concept for cp in vocab.phrases if cp.kind == "present"}
    assert with_phrases >= {t["id"] for t in FINDINGS["terms"]}
    tags = yaml.safe_load((ROOT / "rules" / "vocab" / "diagnosis_tags.yaml").read_text(encoding="utf-8"))
    assert all(t.get("phrases") for t in tags["terms"])
    assert set(tags) == {"vocabulary", "terms"}
    assert set(FINDINGS) == {"vocabulary", "terms"}


# ------------------------------------------------------------------------------ negation

@pytest.mark.parametrize("sentence, concept, status", [
    # statements about the record: not_documented
    ("The claimant had been on Norco for over 6 months without consistent documentation of pain score "
     "reduction with the use of the medications.", "pain_relief", "not_documented"),
    ("There was no mention of Tylenol, Tricyclic or weaning failure.", "weaning_attempted", "not_documented"),
    ("There was no mention of Tylenol, Tricyclic or weaning failure.", "first_line_failed", "not_documented"),
    ("The treating physician does not fully document the least reported pain over the period since last "
     "assessment, intensity of pain after taking opioid, pain relief, increased level of function, or improved "
     "quality of life.", "functional_improvement", "not_documented"),
    ("The treating physician does not fully document the least reported pain over the period since last "
     "assessment, intensity of pain after taking opioid, pain relief, increased level of function, or improved "
     "quality of life.", "pain_assessment_complete", "not_documented"),
    ("According to the patient file, there is no objective documentation of pain and functional improvement "
     "to justify continuous use of Norco.", "pain_relief", "not_documented"),
    ("Furthermore, there is no clear evidence of chronic myofascial pain and spasm.", "myofascial_pain",
     "not_documented"),
    ("There is a lack of documentation regarding a CURES report, as well as an official urine drug screen.",
     "uds_performed", "not_documented"),
    ("The current medication regimen was not provided.", "current_medications_documented", "not_documented"),
    ("There are no exceptional factors noted within the documentation which would demonstrate medical "
     "necessity for the requested treatment outside of the recommended guidelines.", "exceptional_factors",
     "not_documented"),
    ("There is no evidence the patient has trialed and failed conservative care to include physical therapy, "
     "and NSAIDs prior to this request.", "conservative_care_failed", "not_documented"),
    ("However, there was lack of clinical documentation indicating the patient was not able to utilize oral "
     "capsules or tablets.", "oral_meds_intolerant", "not_documented"),
    # statements about the patient: absent
    ("There were no aberrant behaviors reported.", "aberrant_behavior", "absent"),
    ("The patient in this case developed continuous pain, does not have clear exacerbation of back pain and "
     "spasm and the prolonged use of Zanaflex is not justified.", "acute_exacerbation", "absent"),
    ("The patient has not trialed and failed a proper conservative course of care prior to this request.",
     "conservative_care_failed", "absent"),
    ("Moreover, a CURES report was not checked, and documented prior to prescribing this medication.",
     "cures_checked", "absent"),
    ("There were no spasms in the paracervical, sternocleidomastoid and trapezius muscles.", "muscle_spasm",
     "absent"),
    ("Work status is temporarily totally disabled.", "return_to_work", "absent"),
    ("There are several rib fractures and a reported vertebral compression with inadequate pain relief.",
     "pain_relief", "absent"),
    ("A straight leg raise was negative.", "radiculopathy_on_exam", "absent"),
    # positive statements
    ("The records indicate that the patient was experiencing acute exacerbation of the chronic neck pain.",
     "acute_exacerbation", "present"),
    ("The UDS was noted to be consistent.", "uds_consistent", "present"),
    ("According to the progress report dated 3/11/2015, the injured worker reports excellent relief since his "
     "injections.", "pain_relief", "present"),
    ("Straight leg raise was positive on the right at 60 degrees.", "radiculopathy_on_exam", "present"),
    ("The injured worker is currently working with modified duties.", "return_to_work", "present"),
    ("The patient was authorized an initial trial of 6 sessions by previous reviewer.", "prior_trial_pending",
     "present"),
    ("The patient denies side effects.", "side_effects_assessed", "present"),      # looked for, none found
])
def test_negation_status(sentence, concept, status):
    assert item_findings(sentence).get(concept) == status


def test_scope_ends_at_a_breaker():
    found = item_findings("There is no documentation of functional improvement; however, the patient "
                          "reports excellent relief with the medication.")
    assert found["functional_improvement"] == "not_documented"
    assert found["pain_relief"] == "present"


def test_negation_does_not_cross_a_sentence():
    found = item_findings("There were no aberrant behaviors reported. The UDS was consistent.")
    assert found == {"aberrant_behavior": "absent", "uds_consistent": "present", "uds_performed": "present"}


def test_stated_lack_beats_a_positive_mention_in_the_same_segment():
    found = item_findings("The patient had decreased pain with medications. However, there was no "
                          "documentation of pain relief in terms of VAS with use of the medication.")
    assert found["pain_relief"] == "not_documented"


# ------------------------------------------------------------------------------ guideline text

@pytest.mark.parametrize("sentence", [
    "According to the MTUS guidelines, it is not indicated as 1st line therapy for neuropathic pain, and "
    "chronic back pain.",
    "Muscle relaxants such as Methocarbamol are to be used with caution as a second-line option for "
    "short-term treatment of acute exacerbations in patients with chronic LBP.",
    "The guidelines recommend 3 to 6 treatments to produce functional improvement.",
    "An initial trial of 6 visits over 2 weeks is recommended to establish objective functional improvement.",
    "Per MTUS guidelines, treatment with cyclobenzaprine should be reserved as a second line agent only.",
    "The California MTUS recommend that opioids can be used for short term treatment of exacerbation of "
    "chronic musculoskeletal pain that did not respond to standard treatment with NSAIDs, physical therapy "
    "and non-opioid medications.",
    "Radiculopathy must be corroborated by imaging studies and/or electrodiagnostic testing.",
    "Myalgia and myositis, unspecified (ICD9 729.1): 9-10 visits over 8 weeks.",
])
def test_guideline_sentences_give_no_finding(sentence):
    assert item_findings(sentence) == {}


def test_guideline_passage_with_enumeration_and_quoted_domains():
    # seed 003: an enumerated guideline list and the "4 A's" must not read as the patient's record
    passage = ("In addition and according to MTUS guidelines, ongoing use of opioids should follow specific "
               "rules: (a) Prescriptions from a single practitioner taken as directed, and all prescriptions "
               "from a single pharmacy. (b) The lowest possible dose should be prescribed to improve pain and "
               "function. (c) Office: Ongoing review and documentation of pain relief, functional status, "
               "appropriate medication use, and side effects. Four domains have been proposed as most relevant "
               "for ongoing monitoring of chronic pain patients on opioids: pain relief, side effects, physical "
               "and psychosocial functioning, and the occurrence of any potentially aberrant (or non adherent) "
               "drug-related behaviors. These domains have been summarized as the \"4 A's\" (analgesia, "
               "activities of daily living, adverse side effects, and aberrant drug taking behaviors).")
    assert item_findings(passage) == {}


def test_quoted_guideline_is_blanked_but_the_next_sentence_is_read():
    # seed 004: a guideline quotation spanning several sentences, then the reviewer's finding
    passage = ('MTUS does not discourage use of opioids past 2 weeks, but does state that "ongoing review and '
               'documentation of pain relief, functional status, appropriate medication use, and side effects. '
               'Pain assessment should include: current pain; the least reported pain over the period since '
               'last assessment; average pain. Satisfactory response to treatment may be indicated by the '
               'patient\'s decreased pain, increased level of function, or improved quality of life." The '
               'treating physician does not fully document the least reported pain, pain relief or increased '
               'level of function.')
    assert item_findings(passage) == {"pain_assessment_complete": "not_documented",
                                      "pain_relief": "not_documented",
                                      "functional_improvement": "not_documented"}


def test_a_quote_from_the_record_is_read():
    facts = summary('The physician noted; "the patient reports excellent relief with Norco".')
    assert facts["findings"]["pain_relief"]["status"] == "present"


def test_negated_reference_to_a_guideline_is_a_finding():
    # seed 002: "no evidence ... according to the MTUS section cited above which recommends ..."
    found = item_findings("There is no evidence that the treating physician is prescribing opioids according "
                          "to the MTUS section cited above which recommends prescribing according to function, "
                          "with specific functional goals, return to work, random drug testing, opioid contract "
                          "and documentation of failure of prior non-opioid therapy.")
    assert found == {"functional_goals": "not_documented", "return_to_work": "not_documented",
                     "uds_performed": "not_documented", "opioid_agreement": "not_documented",
                     "first_line_failed": "not_documented"}


# ------------------------------------------------------------------------------ conclusions

def _letter_with_items():
    path = next((ROOT / "examples" / "letters").glob("001_*.txt"))
    text = re.sub(r"\n[ \t]*\n", "\n", path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    return text


def _strip_evidence(node):
    if isinstance(node, dict):
        return {k: _strip_evidence(v) for k, v in node.items() if k != "evidence"}
    if isinstance(node, list):
        return [_strip_evidence(v) for v in node]
    return node


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_conclusions_change_no_fact(prefix):
    path = next((ROOT / "examples" / "letters").glob(f"{prefix}_*.txt"))
    text = re.sub(r"\n[ \t]*\n", "\n", path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    start = text.index("Decision rationale:")
    segment = [("rationale", start, len(text))]
    base = _strip_evidence(extract_item_facts(text, segment))
    # flip every verdict: the facts must not move
    flipped = (text.replace("is not medically necessary", "is medically nxcessary")
               .replace("is medically necessary", "is not medically necessary")
               .replace("is medically nxcessary", "is medically necessary")
               .replace("Upheld", "Overturned").replace("were met", "were not met"))
    delta = len(flipped) - len(text)
    assert _strip_evidence(extract_item_facts(flipped, [("rationale", start, len(text) + delta)])) == base
    # delete the conclusion sentences: the facts must not move either
    cut = re.sub(r"[^.]*(?:medically necessary|criteria[^.]*met)[^.]*\.", "", text[start:])
    assert _strip_evidence(extract_item_facts(text[:start] + cut, [("rationale", start, start + len(cut))])) \
        == base


def test_conclusion_words_alone_make_no_finding():
    assert item_findings("Therefore, this request is medically necessary.") == {}
    assert item_findings("The criteria for retrospective Norco 10/325mg #360 for 2 months' supply were met.") == {}
    assert item_findings("As such, the request for Myofascial release to the low back two times a week "
                         "times six weeks is not medically necessary.") == {}


def test_the_rest_of_a_conclusion_sentence_is_read():
    found = item_findings("Given lack of physical exam findings, lack of red flags and cited guidelines the MRI "
                          "is not supported by the provided records as being medically necessary at this time.")
    assert found == {"red_flags": "not_documented"}


# ------------------------------------------------------------------------------ patient and injury

def test_age_sex_and_injury_formats():
    facts = summary("The injured worker is a 48 year old male who sustained an industrial injury February "
                    "23, 2012, when boxes weighing 20-30 pounds fell on him.")
    assert value(facts["patient"]["age"]) == 48
    assert value(facts["patient"]["sex"]) == "male"
    assert value(facts["injury"]["date"]) == "2012-02-23"
    assert value(facts["injury"]["mechanism"]) == "boxes weighing 20-30 pounds fell on him"
    facts = summary("This case involves a now 36-year-old female with a history of an occupational claim "
                    "from 10/13/2016. The mechanism of injury is detailed as a slip and fall.")
    assert value(facts["patient"]["age"]) == 36 and value(facts["patient"]["sex"]) == "female"
    assert value(facts["injury"]["date"]) == "2016-10-13"
    assert value(facts["injury"]["mechanism"]) == "a slip and fall"
    assert value(summary("This 75 year old female has complained of low back pain since date of injury "
                         "2/23/01.")["injury"]["date"]) == "2001-02-23"


def test_sex_from_pronouns_only_when_unambiguous():
    facts = summary("The patient is a 47 year old who was injured on 7/9/2007. He reports neck pain.")
    assert value(facts["patient"]["sex"]) == "male"
    facts = summary("The patient is a 47 year old. He/she has no affiliation. His/her records were read.")
    assert "sex" not in facts["patient"]
    facts = summary("The patient is 50 years old. He saw her physician.")
    assert "sex" not in facts["patient"]


def test_body_parts_from_complaints_and_diagnoses():
    facts = summary("He complained of pain in the cervical spine and left shoulder. Diagnoses are "
                    "cervicalgia; lumbar radiculopathy.")
    assert facts["injury"]["body_parts"] == ["cervical_spine", "shoulder", "lumbar_spine"]


# ------------------------------------------------------------------------------ pain

@pytest.mark.parametrize("sentence, expected", [
    ("The injured worker presented with neck pain, rated 4-5 out of 10, mostly on the left side.", {"current": 5}),
    ("On 7/15/2014, he noted a pain score of 8/10 without medications and 4/10 with medications on a scale of "
     "0 to 10.", {"without_meds": 8, "with_meds": 4}),
    ("He states that his pain was 7-8/10 and now it is a 4-5/10.", {"before": 8, "after": 5}),
    ("The pain is rated 10/10 on a subjective pain scale.", {"current": 10}),
    ("On 11/10/2016, the patient was seen; strength was 5/5 and reflexes 2/2.", {}),
    ("Least pain is 3/10 and average pain is 6/10.", {"least": 3, "average": 6}),
])
def test_pain_scores(sentence, expected):
    facts = summary(sentence)
    assert {k: value(v) for k, v in facts.get("pain", {}).items()} == expected


def test_pain_in_a_guideline_sentence_is_not_a_score():
    facts = summary("The guidelines recommend a reduction of pain from 8/10 to 4/10 before continuing.")
    assert "pain" not in facts


# ------------------------------------------------------------------------------ medications

def test_current_medications_and_statuses():
    facts = summary("The current medications are Ambien, Motrin, Prilosec, Lyrica, Norco, and Zanaflex. "
                    "At issue, is the request for authorization for Soma.")
    meds = {m["generic"]: m.get("status") for m in facts["medications"]}
    assert meds == {"zolpidem": "current", "ibuprofen": "current", "omeprazole": "current",
                    "pregabalin": "current", "hydrocodone/acetaminophen": "current", "tizanidine": "current"}
    assert all(m["drug_class"] for m in facts["medications"])


def test_negated_drug_is_not_a_medication():
    text, segments = place("In this case, the claimant had been on Norco for over 6 months. There was no "
                           "mention of Tylenol, Tricyclic or weaning failure.", "rationale")
    meds = extract_item_facts(text, segments)["medications"]
    assert [(m["generic"], value(m["duration_weeks"])) for m in meds] == [("hydrocodone/acetaminophen", 26.0)]


def test_duration_goes_to_the_drug_before_it():
    text, segments = place("In this case, the claimant was on Methocarbamol for over 6 months and "
                           "intermittently in combination with NSAIDS and Norco.", "rationale")
    meds = {m["generic"]: m for m in extract_item_facts(text, segments)["medications"]}
    assert value(meds["methocarbamol"]["duration_weeks"]) == 26.0
    assert "duration_weeks" not in meds["hydrocodone/acetaminophen"]


def test_durations_in_years_and_since():
    text, segments = place("Progress report dated 8/4/2015. He has been taking Norco for 2 years. He has "
                           "been on Lyrica since 2013. The patient had been using Robaxin since at least "
                           "11/07/2014.", "summary")
    meds = {m["generic"]: m for m in extract_facts(text, segments)["medications"]}
    assert value(meds["hydrocodone/acetaminophen"]["duration_weeks"]) == 104.0
    assert value(meds["pregabalin"]["duration_weeks"]) == pytest.approx(83.1, abs=0.2)   # from the end of 2013
    assert value(meds["methocarbamol"]["since"]) == "2014-11-07"
    assert value(meds["methocarbamol"]["duration_weeks"]) == pytest.approx(38.6, abs=0.1)   # 270 days


def test_guideline_mentions_of_a_drug_are_not_medications():
    text, segments = place("Norco is a short acting opioid used for breakthrough pain. Muscle relaxants such "
                           "as Methocarbamol are to be used with caution.", "rationale")
    assert "medications" not in extract_item_facts(text, segments)


# ------------------------------------------------------------------------------ treatments, diagnoses

def test_treatments_with_counts_and_dates():
    facts = summary("He initially received medication and six visits of physical therapy. Treatment to date "
                    "has included medication management, X-rays, and two lumbar sympathetic blocks "
                    "(9/24/2014 and 11/12/2014).")
    got = [(t["kind"], value(t.get("count")), t.get("dates")) for t in facts["treatments"]]
    assert got == [("physical_therapy", 6, None), ("imaging", None, None),
                   ("injection", 2, ["2014-09-24", "2014-11-12"])]


def test_diagnoses_split_and_tagged():
    facts = summary("The current diagnoses are reflex sympathetic dystrophy of the lower limb, crushing injury "
                    "of toe, and reflex sympathetic dystrophy (not otherwise specified).")
    texts = [d["text"] for d in facts["diagnoses"]]
    assert texts == ["reflex sympathetic dystrophy of the lower limb", "crushing injury of toe",
                     "reflex sympathetic dystrophy (not otherwise specified)"]
    assert set(facts["diagnoses"][0]["tags"]) >= {"crps", "neuropathic"}
    single = summary("The current diagnosis is documented as other intervertebral disc displacement, "
                     "lumbosacral region.")
    assert [d["text"] for d in single["diagnoses"]] == ["other intervertebral disc displacement, lumbosacral region"]
    assert "disc_disorder" in single["diagnoses"][0]["tags"]


# ------------------------------------------------------------------------------ schema, offsets

@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_output_is_schema_valid(prefix):
    path = next((ROOT / "examples" / "letters").glob(f"{prefix}_*.txt"))
    text = re.sub(r"\n[ \t]*\n", "\n", path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    s, e = text.index("CLINICAL CASE SUMMARY"), text.index("IMR ISSUES")
    facts = extract_facts(text, [("summary", s, e)])
    item = extract_item_facts(text, [("rationale", text.index("Decision rationale:"), len(text))])
    check_evidence(facts, text)
    check_evidence(item, text)
    assert schema_errors(as_case(facts, item)) == []
    assert set(facts.get("findings", {})) <= CONCEPTS and set(item.get("findings", {})) <= CONCEPTS


def test_item_segments_are_not_read_and_empty_input_is_fine():
    text = "Norco 10/325mg #120: Upheld\n"
    assert extract_facts(text, [("item", 0, len(text))]) == {}
    assert extract_facts("", []) == {}
    assert extract_item_facts("abc", [("rationale", 5, 9)]) == {}


def test_calls_do_not_share_state():
    first = summary("There were no aberrant behaviors reported.")
    again = summary("There were no aberrant behaviors reported.")
    assert first == again
    mutated = copy.deepcopy(first)
    mutated["findings"]["aberrant_behavior"]["status"] = "present"
    assert summary("There were no aberrant behaviors reported.") == first


# ------------------------------------------------------------------------------ dev corpus

def _dev_texts(limit=None):
    pdfium = pytest.importorskip("pypdfium2")
    paths = sorted(glob.glob(str(DEV / "*.pdf")))[:limit]
    if not paths:
        pytest.skip("dev letters absent")
    for path in paths:
        raw = "\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(path))
        yield Path(path).name, re.sub(r"\n[ \t]*\n", "\n", raw.replace("\r\n", "\n"))


def _dev_segments(text):
    s, e = text.find("CLINICAL CASE SUMMARY"), text.find("IMR ISSUES")
    summary_seg = [("summary", s, e)] if 0 <= s < e else []
    rationales = []
    for m in re.finditer(r"Decision rationale:", text):
        nxt = re.search(r"^.*:\s*(?:Upheld|Overturned)\s*$", text[m.end():], re.M)
        rationales.append([("rationale", m.start(), m.end() + nxt.start() if nxt else len(text))])
    return summary_seg, rationales


@pytest.mark.skipif(not DEV.is_dir(), reason="dev letters absent")
def test_dev_letters_extract_without_error_and_with_valid_evidence():
    count = 0
    for name, text in _dev_texts():
        summary_seg, rationales = _dev_segments(text)
        facts = extract_facts(text, summary_seg)
        check_evidence(facts, text)
        items = [extract_item_facts(text, seg) for seg in rationales]
        for item in items:
            check_evidence(item, text)
            assert set(item.get("findings", {})) <= CONCEPTS, name
        assert schema_errors(as_case(facts, items[0] if items else None)) == [], name
        count += 1
    assert count >= 70
