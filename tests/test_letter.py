"""Letter structure: reading, normalisation, sections, items, outcomes, partial
authorizations, guidelines, credentials, header fields and errors."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from engine.extraction import LetterError, extract_case, extract_text, normalise_text, parse_letter, read_letter
from engine.extraction.letter import parse_citation, parse_date, verdict_spans, without_verdicts
from engine.paths import SCHEMA_DIR

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "examples" / "letters"
SEEDS = sorted(LETTERS.glob("*.txt"))
DEV = ROOT.parent / "shared" / "corpus" / "dev-letters"
if not DEV.is_dir():
    DEV = Path("/work/shared/corpus/dev-letters")

VALIDATOR = jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / "case.schema.json").read_text()))

# The nine seed items, in letter order, with the reviewer's outcome.
SEED_ITEMS = {
    "000_83b90a26cef0192d.txt": [("Norco 10/325mg #120 DOS: 8/4/15", "upheld"),
                                 ("Methocarbamol 500mg #60 DOS: 8/4/15", "upheld")],
    "001_178c19ffd59f9e46.txt": [("Norco 10/325mg #360", "overturned")],
    "002_85a380f222ae6c4f.txt": [("Flexeril 10mg #60 with 3 refills", "upheld"),
                                 ("Norco 5/325mg #45", "upheld")],
    "003_572d8b93f8cec80c.txt": [("120 tablets of Norco 10/325 mg with 2 refills", "upheld"),
                                 ("30 tablets of Zanaflex 4mg with 2 refills", "upheld")],
    "004_94ff0f37ee18d68a.txt": [("Norco 10/325mg #100", "upheld"),
                                 ("Soma 350mg #60", "upheld")],
}

SEED_CREDENTIALS = {
    "000_83b90a26cef0192d.txt": (["Arizona", "California"], "Family Practice"),
    "001_178c19ffd59f9e46.txt": (["Texas", "Florida"], "Anesthesiology, Pain Medicine"),
    "002_85a380f222ae6c4f.txt": (["Maryland"], "Internal Medicine, Rheumatology"),
    "003_572d8b93f8cec80c.txt": (["New Jersey", "Alabama", "California"], "Neurology, Neuromuscular Medicine"),
    "004_94ff0f37ee18d68a.txt": (["Iowa", "Illinois", "Hawaii"],
                                 "Preventive Medicine, Occupational Medicine, Public Health & Gen Prev Med"),
}

# (guidelines, sections, pages) of the reviewer's (MAXIMUS) guideline line of each seed item.
SEED_CITATIONS = {
    "000_83b90a26cef0192d.txt": [
        (["MTUS Chronic Pain Medical Treatment 2009"], ["Opioids for chronic pain", "Opioids for neuropathic pain"], None),
        (["MTUS Chronic Pain Medical Treatment 2009"], ["Muscle relaxants (for pain)"], None)],
    "001_178c19ffd59f9e46.txt": [
        (["MTUS Chronic Pain Treatment Guidelines"], ["NSAIDs, physical therapy and non-opioid medications"],
         "74-96, 124")],
    "002_85a380f222ae6c4f.txt": [
        (["MTUS Chronic Pain Treatment Guidelines"], ["Cyclobenzaprine"], None),
        (["MTUS Chronic Pain Treatment Guidelines"], ["Opioids, criteria for use"], "76-85, 88-89")],
    "003_572d8b93f8cec80c.txt": [
        (["MTUS Chronic Pain Treatment Guidelines"], ["Criteria for use of opioids"], "76-79"),
        (["MTUS Chronic Pain Treatment Guidelines"], ["Muscle relaxants"], "63")],
    "004_94ff0f37ee18d68a.txt": [
        (["MTUS Chronic Pain Treatment Guidelines",
          "ODG Neck and Upper Back (Acute and Chronic), Low Back - Lumbar & Thoracic (Acute & Chronic), Opioids, Pain"],
         ["Opioids"], "74-96"),
        (["MTUS Chronic Pain Treatment Guidelines", "ODG Chronic Pain, Soma (Carisoprodol)"],
         ["Carisoprodol (Soma)", "Muscle relaxants (for pain)"], "29, 63-66")],
}

needs_dev = pytest.mark.skipif(not DEV.is_dir(), reason=f"dev corpus not found at {DEV}")


def _synthetic(items_block: str, summary: str = "The injured worker is a 50 year old male.") -> str:
    """A small letter with the real skeleton around the given decisions block."""
    return (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\n"
        "The Expert Reviewer has the following credentials:\n"
        "State(s) of Licensure: California\n"
        "Certification(s)/Specialty: Family Practice\n"
        "CLINICAL CASE SUMMARY\n"
        "The expert reviewer developed the following clinical case summary based on a review of the\n"
        "case file, including all medical records:\n"
        f"{summary}\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set forth below:\n"
        f"{items_block}"
    )


def _block(item_line: str, rationale: str = "The request is not supported.") -> str:
    return (f"{item_line}\n"
            "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.\n"
            "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s):\n"
            "Physical medicine treatment.\n"
            f"Decision rationale: {rationale}\n")


# --------------------------------------------------------------------------- seeds

def test_five_seed_letters_are_present():
    assert [p.name for p in SEEDS] == sorted(SEED_ITEMS)


@pytest.mark.parametrize("name", sorted(SEED_ITEMS))
def test_seed_items_and_outcomes(name):
    letter = parse_letter(read_letter(LETTERS / name))
    assert [(item.request, item.outcome) for item in letter.items] == SEED_ITEMS[name]
    for item in letter.items:
        assert item.original_request is None and item.authorized is None
        assert letter.text[item.start:item.end].split() == item.text.split()
        assert item.rationale is not None and item.rationale.text
        assert item.claims_administrator_guideline is not None
        assert item.reviewer_guideline is not None
        assert "Decision rationale" not in item.rationale.text
        assert "guideline:" not in item.rationale.text


def test_nine_seed_items_one_overturned():
    outcomes = [item.outcome for path in SEEDS for item in parse_letter(read_letter(path)).items]
    assert len(outcomes) == 9
    assert outcomes.count("overturned") == 1


@pytest.mark.parametrize("name", sorted(SEED_CREDENTIALS))
def test_seed_credentials(name):
    letter = parse_letter(read_letter(LETTERS / name))
    licensure, specialty = SEED_CREDENTIALS[name]
    assert letter.licensure == licensure
    assert letter.specialty is not None and letter.specialty.text == specialty


@pytest.mark.parametrize("name", sorted(SEED_CITATIONS))
def test_seed_guideline_sections_and_pages(name):
    letter = parse_letter(read_letter(LETTERS / name))
    got = [(i.citation.guidelines, i.citation.sections, i.citation.pages) for i in letter.items]
    assert got == SEED_CITATIONS[name]


def test_seed_case_reviewer_block():
    case = extract_case(LETTERS / "001_178c19ffd59f9e46.txt", mode="summary")
    reviewer = case["reviewer"]
    assert reviewer["licensure"] == ["Texas", "Florida"]
    assert reviewer["items"] == [{
        "request_id": "r1",
        "outcome": "overturned",
        "claims_administrator_guideline":
            "Decision based on MTUS Chronic Pain Treatment Guidelines When to Continue Opioids.",
        "guidelines_cited": ["MTUS Chronic Pain Treatment Guidelines"],
        "sections": ["NSAIDs, physical therapy and non-opioid medications"],
        "pages": "74-96, 124",
        "rationale": reviewer["items"][0]["rationale"],
    }]
    assert reviewer["items"][0]["rationale"].startswith("The California MTUS recommend that opioids")
    assert reviewer["items"][0]["rationale"].endswith("Therefore, this request is medically necessary.")


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("mode", ["summary", "full"])
def test_seed_cases_validate_and_are_deterministic(path, mode):
    first = extract_case(path, mode=mode)
    VALIDATOR.validate(first)
    again = extract_case(path, mode=mode)
    assert json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)
    assert first["source"] == {"file": str(path), "kind": "letter", "mode": mode,
                               "extractor": first["source"]["extractor"]}
    assert [r["id"] for r in first["requests"]] == [f"r{i}" for i in range(1, len(first["requests"]) + 1)]
    assert [r["text"] for r in first["requests"]] == [t for t, _ in SEED_ITEMS[path.name]]
    text = read_letter(path)
    for request in first["requests"]:
        ev = request["evidence"]
        assert ev["section"] == "item"
        assert text[ev["start"]:ev["end"]] == ev["quote"]
        assert request.get("kind")
    # keys are sorted at every level
    def sorted_keys(value):
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(sorted_keys(v) for v in value.values())
        if isinstance(value, list):
            return all(sorted_keys(v) for v in value)
        return True
    assert sorted_keys(first)


def test_same_bytes_across_processes_and_hash_seeds():
    import os
    import subprocess
    import sys
    script = ("import json, sys; sys.path.insert(0, sys.argv[1]); from engine.extraction import extract_case; "
              "print(json.dumps([extract_case(p, mode='full') for p in sys.argv[2:]]))")
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script, str(ROOT), *map(str, SEEDS)], env=env,
                              capture_output=True, text=True, check=True, cwd=ROOT)
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_extract_text_matches_extract_case():
    path = SEEDS[0]
    by_path = extract_case(path)
    by_text = extract_text(path.read_text(encoding="utf-8"), source=str(path))
    assert by_text == by_path


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown extraction mode"):
        extract_case(SEEDS[0], mode="blind")


# --------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize("spaces", [" " * n for n in (2, 3, 17, 64)] + ["\t", " \t ", "\t\t"])
def test_normalise_makes_every_run_of_spaces_and_tabs_one_space(spaces):
    assert normalise_text(f"a{spaces}b\n{spaces}c{spaces}\n") == "a b\nc\n"


def test_normalise_joins_hyphenated_line_ends_keeping_the_hyphen():
    text = "recent C7-\nT1 facet joint injections\nprior non-\nopioid therapy and drug- \nrelated behaviour\n"
    assert normalise_text(text) == "recent C7-T1 facet joint injections\nprior non-opioid therapy and drug-related behaviour\n"


def test_normalise_keeps_a_free_standing_dash_and_dates_split_at_a_hyphen():
    assert normalise_text("pain -\nsevere\n") == "pain -\nsevere\n"
    assert normalise_text("dated 11-21-\n2016, was a copy\n") == "dated 11-21-2016, was a copy\n"


def test_normalise_line_ends_spaces_and_blank_lines():
    raw = "\ufeffFirst  line \r\n\r\n \r\nSecond\tline\u00a0here\r\n\n\n"
    assert normalise_text(raw) == "First line\nSecond line here\n"


def test_normalise_pdfium_line_end_hyphen_and_typography():
    assert normalise_text("electro\ufffemyography \u201cquoted\u201d \u2013 Spurling\u2019s\n") == \
        "electro-myography \"quoted\" - Spurling's\n"


def test_normalise_drops_page_furniture():
    raw = ("Case Number: CM16-0000001\nHOW THE IMR FINAL DETERMINATION WAS MADE\nline one\n2\n\f"
           "Case Number: CM16-0000001\nPage 2 of 3\nline two\n\f3\nline three\nPage 3 of 3\n")
    assert normalise_text(raw) == ("Case Number: CM16-0000001\nHOW THE IMR FINAL DETERMINATION WAS MADE\n"
                                   "line one\nline two\nline three\n")


def test_normalise_running_header_on_most_pages():
    bodies = [["The patient reports pain.", "An MRI was done."], ["Norco was prescribed.", "No side effects."],
              ["The UDS was consistent.", "Pain is 4/10 with medications."], ["Plan: continue.", "Follow up."]]
    pages = [f"Independent Medical Review - Final Determination {n}\n" + "\n".join(body) + f"\nIMR CM16-00{n}\n"
             for n, body in enumerate(bodies, 1)]
    assert normalise_text("\f".join(pages)) == "\n".join(line for body in bodies for line in body) + "\n"


def test_normalise_keeps_repeated_sentence_lines_at_page_ends():
    # A content line that happens to end two pages is not a footer.
    raw = "Claims Administrator guideline: x\nfor its decision.\n\fmore text\nfor its decision.\n"
    assert normalise_text(raw).count("for its decision.") == 2


def test_normalise_keeps_labels_opening_every_page():
    line = "Claims Administrator guideline: The Claims Administrator did not cite any medical evidence"
    raw = f"{line}\nfor its decision.\nMore.\n\f{line}\nfor its decision.\nMore.\n"
    assert normalise_text(raw).count(line) == 2


def test_normalise_counting_page_numbers_without_form_feeds():
    raw = "alpha\n1\nbeta\n2\ngamma\n3\n"
    assert normalise_text(raw) == "alpha\nbeta\ngamma\n"
    # numbers that do not count up are content
    assert normalise_text("alpha\n5\nbeta\n9\n") == "alpha\n5\nbeta\n9\n"


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_normalise_is_idempotent(path):
    once = read_letter(path)
    assert normalise_text(once) == once
    assert "\n\n" not in once and "\r" not in once and "  " not in once


@needs_dev
def test_normalise_is_idempotent_on_pdfs():
    for path in sorted(DEV.glob("*.pdf"))[:10]:
        once = read_letter(path)
        assert normalise_text(once) == once, path.name


# --------------------------------------------------------------------------- items

def test_item_line_wrapped_over_lines():
    text = _synthetic(
        _block("Twelve sessions of physical therapy for the right shoulder, right wrist and right hand, three\n"
               "times a week for four weeks: Upheld")
        + _block("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, DOS: 11/11/2016:\n"
                 "Overturned"))
    letter = parse_letter(normalise_text(text))
    assert [(i.request, i.outcome) for i in letter.items] == [
        ("Twelve sessions of physical therapy for the right shoulder, right wrist and right hand, three "
         "times a week for four weeks", "upheld"),
        ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, DOS: 11/11/2016",
         "overturned")]


@pytest.mark.parametrize("line, outcome", [
    ("Norco 10/325mg #120: UPHELD", "upheld"),
    ("Norco 10/325mg #120:  upheld.", "upheld"),
    ("Norco 10/325mg #120: Up held", "upheld"),
    ("Norco 10/325mg #120 - Overturned", "overturned"),
    ("Norco 10/325mg #120:\nOVERTURNED", "overturned"),
    ("Norco 10/325mg #120 : Over turned", "overturned"),
])
def test_outcome_spelling_variants(line, outcome):
    letter = parse_letter(normalise_text(_synthetic(_block(line))))
    assert [(i.request, i.outcome) for i in letter.items] == [("Norco 10/325mg #120", outcome)]


def test_outcome_word_inside_rationale_is_not_an_item():
    rationale = ("The prior decision was upheld on appeal and\nthe request was overturned by nobody. "
                 "Norco is not medically necessary.")
    letter = parse_letter(normalise_text(_synthetic(_block("Norco 10/325mg #120: Upheld", rationale))))
    assert len(letter.items) == 1


def test_partial_authorization_first_form():
    line = ("Physical therapy to the low back eight sessions was the original request. Physical therapy to\n"
            "the low back six sessions was authorized by the Claims Administrator. The remaining IMR\n"
            "eligible portion of the original request, Physical therapy to the low back two sessions is:\n"
            "Upheld")
    letter = parse_letter(normalise_text(_synthetic(_block("Flexeril 10mg #60: Upheld", "Not supported.")
                                                     + _block(line))))
    item = letter.items[1]
    assert item.original_request == "Physical therapy to the low back eight sessions"
    assert item.authorized == "Physical therapy to the low back six sessions"
    assert item.request == "Physical therapy to the low back two sessions"
    assert item.outcome == "upheld"
    assert letter.items[0].request == "Flexeril 10mg #60"


def test_partial_authorization_second_form():
    line = ("Purchase of a bath/shower chair was the original request. The Claims Administrator\n"
            "authorized a bath/shower chair for 1 month, leaving the original request IMR eligible. The\n"
            "original request, purchase of a bath/shower chair is: Upheld")
    item = parse_letter(normalise_text(_synthetic(_block(line)))).items[0]
    assert (item.original_request, item.authorized, item.request) == (
        "Purchase of a bath/shower chair", "a bath/shower chair for 1 month", "purchase of a bath/shower chair")


def test_partial_authorization_when_a_sentence_ends_a_line():
    # The narrative's sentences end exactly at line ends: it must still be read whole.
    line = ("Chiropractic therapy sessions for the cervical spine, #8 was the original request.\n"
            "Chiropractic therapy sessions for the cervical spine, #6 was authorized by the Claims Administrator.\n"
            "The remaining IMR eligible portion of the original request, Chiropractic\n"
            "therapy sessions for the cervical spine, #2 is: Upheld")
    rationale = "Six visits were authorized. Additional visits are not medically necessary."
    item = parse_letter(normalise_text(_synthetic(_block("MRI of the lumbar spine: Upheld", rationale)
                                                  + _block(line)))).items[1]
    assert item.original_request == "Chiropractic therapy sessions for the cervical spine, #8"
    assert item.authorized == "Chiropractic therapy sessions for the cervical spine, #6"
    assert item.request == "Chiropractic therapy sessions for the cervical spine, #2"


def test_item_without_outcome_is_kept_when_allowed():
    text = normalise_text(_synthetic(_block("Norco 10/325mg #120: Upheld") + _block("Soma 350mg #60:")))
    letter = parse_letter(text)
    assert [(i.request, i.outcome) for i in letter.items] == [("Norco 10/325mg #120", "upheld"),
                                                              ("Soma 350mg #60", None)]
    with pytest.raises(LetterError) as err:
        parse_letter(normalise_text(_synthetic(_block("Soma 350mg #60:"))))
    assert err.value.code == "not_a_letter"
    letter = parse_letter(normalise_text(_synthetic(_block("Soma 350mg #60:"))), require_outcome=False)
    assert [(i.request, i.outcome) for i in letter.items] == [("Soma 350mg #60", None)]


def test_overlong_item_keeps_its_outcome_line():
    # Ten lines without a sentence end before the outcome: too long for an item line, so
    # the item is the outcome's own line, and its outcome is kept.
    filler = "\n".join(f"words of a note that runs on without an end {n}" * 2 for n in range(10))
    text = normalise_text(_synthetic(_block(f"{filler}\nNorco 10/325mg #120: Upheld")))
    (item,) = parse_letter(text).items
    assert (item.request, item.outcome) == ("Norco 10/325mg #120", "upheld")


def test_outcome_without_item_text_is_reported():
    text = normalise_text(_synthetic(_block("Norco 10/325mg #120: Upheld") + "Decision rationale: x.\n: Upheld\n"))
    letter = parse_letter(text)
    assert [i.request for i in letter.items] == ["Norco 10/325mg #120"]
    assert letter.warnings and "follows no item line" in letter.warnings[0]


def test_block_parts_are_split_at_labels():
    letter = parse_letter(normalise_text(_synthetic(_block("Norco 10/325mg #120: Upheld", "Alpha beta."))))
    item = letter.items[0]
    assert item.claims_administrator_guideline.text == "Decision based on MTUS Chronic Pain Medical Treatment 2016."
    assert item.reviewer_guideline.text == ("Decision based on MTUS Chronic Pain Medical Treatment 2016, "
                                            "Section(s): Physical medicine treatment.")
    assert item.rationale.text == "Alpha beta."
    assert item.citation.sections == ["Physical medicine treatment"]


# --------------------------------------------------------------------------- guidelines

@pytest.mark.parametrize("text, guidelines, sections, pages", [
    ("Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): Special Studies, and Forearm, "
     "Wrist, and Hand Complaints 2004, Section(s): Special Studies.",
     ["MTUS Neck and Upper Back Complaints 2004", "MTUS Forearm, Wrist, and Hand Complaints 2004"],
     ["Special Studies", "Special Studies"], None),
    ("Decision based on MTUS Chronic Pain Medical Treatment 2016 Guidelines, Section(s): NSAIDs (non-steroidal "
     "anti-inflammatory drugs), NSAIDs, GI symptoms & cardiovascular risk, NSAIDs, hypertension and renal "
     "function, NSAIDs, specific drug list & adverse effects.",
     ["MTUS Chronic Pain Medical Treatment 2016"],
     ["NSAIDs (non-steroidal anti-inflammatory drugs)", "NSAIDs, GI symptoms & cardiovascular risk",
      "NSAIDs, hypertension and renal function", "NSAIDs, specific drug list & adverse effects"], None),
    ("The Expert Reviewer based their decision on recommendation(s) outside of the MTUS Guidelines. Decision "
     "based on Non-MTUS Citation Official Disability Guidelines (ODG) Hips & Pelvis Chapter, X-Ray.",
     ["ODG Hips & Pelvis Chapter, X-Ray"], [], None),
    ("The Expert Reviewer did not cite any medical evidence for its decision.", [], [], None),
    ("Decision based on MTUS Opioid Treatment 2016, Section(s): 3.3 Opioids for Chronic Pain and Chronic "
     "Opioid Treatment: Initiating and Monitoring Chronic Opioid Treatment.",
     ["MTUS Opioid Treatment 2016"],
     ["3.3 Opioids for Chronic Pain and Chronic Opioid Treatment: Initiating and Monitoring Chronic Opioid "
      "Treatment"], None),
    ("Decision based on MTUS General Approaches 2004, Section(s): Cornerstones of Disability Prevention and "
     "Management.", ["MTUS General Approaches 2004"], ["Cornerstones of Disability Prevention and Management"], None),
    ("Decision based on MTUS ACOEM Chapter 8 Neck and Upper Back Complaints Page(s): 181,Chronic Pain "
     "Treatment Guidelines Opioids, criteria for use.",
     ["MTUS ACOEM Chapter 8 Neck and Upper Back Complaints", "MTUS Chronic Pain Treatment Guidelines"],
     ["Opioids, criteria for use"], "181"),
    ("Decision based on MTUS Acupuncture Treatment 2007, and Chronic Pain Medical Treatment 2016, Section(s): "
     "Low-Level Laser Therapy (LLLT).",
     ["MTUS Acupuncture Treatment 2007", "MTUS Chronic Pain Medical Treatment 2016"],
     ["Low-Level Laser Therapy (LLLT)"], None),
])
def test_parse_citation(text, guidelines, sections, pages):
    citation = parse_citation(text)
    assert (citation.guidelines, citation.sections, citation.pages) == (guidelines, sections, pages)


def test_parse_date_forms():
    assert parse_date("11/23/2016") == "2016-11-23"
    assert parse_date("11-7-16") == "2016-11-07"
    assert parse_date("February 23, 2012") == "2012-02-23"
    assert parse_date("13/45/2016") is None
    assert parse_date("Standard") is None


def test_without_verdicts_cuts_the_verdict_out():
    text = "No documentation of improvement. Therefore, the request is not medically necessary. Upheld"
    segments = without_verdicts(text, "rationale", 0, len(text))
    pieces = " | ".join(text[s:e] for _, s, e in segments)
    assert "necessary" not in pieces and "Upheld" not in pieces
    assert "No documentation of improvement." in pieces
    text = "The criteria for retrospective Norco 10/325mg #360 for 2 months' supply were met. Next."
    pieces = " | ".join(text[s:e] for _, s, e in without_verdicts(text, "r", 0, len(text)))
    assert "were met" not in pieces and "Next." in pieces


# --------------------------------------------------------------------------- errors

def test_errors_have_codes_and_name_the_file(tmp_path):
    cases = {}
    cases["letter_not_found"] = tmp_path / "missing.txt"
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    cases["letter_empty"] = empty
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    cases["letter_binary"] = binary
    bad_pdf = tmp_path / "broken.pdf"
    bad_pdf.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF")
    cases["letter_unreadable"] = bad_pdf
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("hello")
    prose = tmp_path / "prose.txt"
    prose.write_text("Dear colleague,\nthe weather is fine: Sunny\nRegards\n")
    cases["not_a_letter"] = prose
    for code, path in cases.items():
        with pytest.raises(LetterError) as err:
            extract_case(path)
        assert err.value.code == code, path
        assert isinstance(err.value, ValueError)
        assert str(err.value).startswith(f"{path}: ")
        assert err.value.path == str(path)
    with pytest.raises(LetterError) as err:
        read_letter(not_pdf)
    assert err.value.code == "letter_unreadable"
    with pytest.raises(LetterError) as err:
        read_letter(tmp_path)
    assert err.value.code == "letter_not_found"


def test_letter_error_survives_pickling():
    import pickle
    error = pickle.loads(pickle.dumps(LetterError("a.pdf", "letter_unreadable", "broken")))
    assert (error.path, error.code, str(error)) == ("a.pdf", "letter_unreadable", "a.pdf: broken")


def test_extract_text_errors_name_the_source():
    with pytest.raises(LetterError) as err:
        extract_text("just some words\n", source="memo.txt")
    assert err.value.code == "not_a_letter" and str(err.value).startswith("memo.txt: ")
    with pytest.raises(LetterError) as err:
        extract_text("   ")
    assert err.value.code == "letter_empty" and str(err.value).startswith("<text>: ")


def test_verdict_phrases_are_whole_words():
    text = "An unnecessary delay. The request is not medically necessary. The criteria were met."
    spans = [text[s:e] for s, e in verdict_spans(text, 0, len(text))]
    assert spans == ["is not medically necessary", "criteria were met"]


def test_utf16_text_file(tmp_path):
    source = read_letter(SEEDS[1])
    path = tmp_path / "utf16.txt"
    path.write_bytes(source.encode("utf-16"))
    assert read_letter(path) == source


def test_latin1_and_bom_text_files(tmp_path):
    source = read_letter(SEEDS[1])
    latin = tmp_path / "latin.txt"
    latin.write_bytes(source.replace("Norco", "Norco\u00ae").encode("latin-1"))
    assert "Norco\u00ae 10/325mg #360" in read_letter(latin)
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + source.encode("utf-8"))
    assert read_letter(bom) == source


# --------------------------------------------------------------------------- dev PDFs

@needs_dev
def test_dev_pdf_header_and_credentials():
    case = extract_case(DEV / "CM16-0221706.pdf")
    letter = {k: v["value"] for k, v in case["letter"].items()}
    assert letter == {"case_number": "CM16-0221706", "date_assigned": "2016-11-23",
                      "decision_date": "2016-12-21", "ur_denial_date": "2016-10-20",
                      "priority": "Standard", "application_received": "2016-11-15"}
    assert case["case_id"] == "CM16-0221706"
    assert case["injury"]["date"]["value"] == "2016-10-16" or case["injury"]["date"] == "2016-10-16"
    assert case["reviewer"]["licensure"] == ["California", "South Carolina"]
    assert case["reviewer"]["specialty"] == "Preventive Medicine, Occupational Medicine, Family Practice"
    text = read_letter(DEV / "CM16-0221706.pdf")
    for fact in case["letter"].values():
        ev = fact["evidence"]
        assert ev["section"] == "header" and text[ev["start"]:ev["end"]] == ev["quote"]
    assert case["letter"]["application_received"]["evidence"]["quote"] == "11/15/2016"
    assert [(r["text"], i["outcome"]) for r, i in zip(case["requests"], case["reviewer"]["items"])] == [
        ("Three months coverage of Viagra 50mg", "upheld")]
    assert case["reviewer"]["items"][0]["guidelines_cited"] == [
        "Non-MTUS Sildenafil: Drug information, accessed from UpToDate.com on 12/17/2016"]


@needs_dev
def test_dev_pdf_partial_authorizations():
    case = extract_case(DEV / "CM16-0239569.pdf")
    assert case["letter"]["ur_denial_date"]["value"] == "2016-12-09"
    assert case["letter"]["date_assigned"]["value"] == "2016-12-16"
    first = case["requests"][0]
    assert first["original_request"] == "Chiropractic spinal manipulation times 12"
    assert first["authorized"] == "Chiropractic spinal manipulation times 6"
    assert first["text"] == "Chiropractic spinal manipulation times 6"
    assert len(case["requests"]) == 5 and all("original_request" in r for r in case["requests"])

    case = extract_case(DEV / "CM17-0015218.pdf")
    request = case["requests"][0]
    assert request["original_request"] == ("Retrospective: Open reduction internal fixation on left distal radius "
                                           "fracture with open carpal tunnel release DOS 12/13/2016")
    assert request["authorized"] == "Open reduction internal fixation on left distal radius fracture"
    assert request["text"] == "with open carpal tunnel release"
    assert case["reviewer"]["items"][0]["outcome"] == "overturned"

    case = extract_case(DEV / "CM16-0249724.pdf")
    assert [(r.get("original_request"), r.get("authorized"), r["text"]) for r in case["requests"]] == [
        ("Standard wheelchair for a 3 month rental", "Standard wheelchair for a 1 month rental",
         "standard wheelchair for a 2 month rental"),
        ("Purchase of a bedside 3 in 1 commode", "a bedside 3 in 1 commode for 1 month",
         "purchase of a bedside 3 in 1 commode"),
        ("Purchase of a bath/shower chair", "a bath/shower chair for 1 month", "purchase of a bath/shower chair"),
    ]


@needs_dev
def test_dev_pdf_item_split_across_pages():
    # The item line sits at the top of page 2, its outcome on its own line.
    case = extract_case(DEV / "CM16-0238676.pdf")
    assert case["requests"][0]["text"] == ("Additional physical therapy three times a week for two weeks of the "
                                           "right hip and foot")
    assert case["reviewer"]["items"][0]["outcome"] == "upheld"
