"""The item-line parser (engine/extraction/requests.py) and its phrase data
(rules/vocab/request_kinds.yaml, modalities.yaml, body_parts.yaml)."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from engine.extraction.requests import (RequestVocabularyError, load_request_vocabulary, parse_request)
from engine.lexicon import load_lexicon
from engine.paths import SCHEMA_DIR, vocab_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator({"$ref": "#/$defs/request", "$defs": schema["$defs"]})


@pytest.fixture(scope="module")
def ids() -> dict[str, set[str]]:
    def terms(name):
        return {t["id"] for t in yaml.safe_load((vocab_dir() / name).read_text(encoding="utf-8"))["terms"]}
    lex = load_lexicon()
    return {"modality": terms("modalities.yaml"), "body_part": terms("body_parts.yaml"),
            "generic": set(lex.generics), "drug_class": set(lex.classes)}


@pytest.fixture
def parse(validator, ids):
    """parse_request, plus the checks every result must pass: schema-valid, names from the vocabularies."""
    def run(text: str) -> dict:
        result = parse_request(text)
        errors = sorted(validator.iter_errors(result), key=lambda e: list(e.path))
        assert not errors, f"{text!r}: {[e.message for e in errors]}"
        assert result["text"] == text
        if "modality" in result:
            assert result["modality"] in ids["modality"]
        if "body_part" in result:
            assert result["body_part"] in ids["body_part"]
        drug = result.get("drug", {})
        for entry in [drug] + drug.get("ingredients", []):
            if "generic" in entry:
                assert entry["generic"] in ids["generic"]
            if "drug_class" in entry:
                assert entry["drug_class"] in ids["drug_class"]
        assert not any(w.startswith("internal parser error") for w in result.get("warnings", [])), result
        return result
    return run


# --------------------------------------------------------------------------- the nine seed items

SEED_ITEMS = [
    ("Norco 10/325mg #120 DOS: 8/4/15",
     dict(item="Norco", brand="Norco", generic="hydrocodone/acetaminophen", drug_class="opioid", strength="10/325mg",
          strength_mg=10, quantity=120, refills=None, date_of_service="2015-08-04", retrospective=True)),
    ("Methocarbamol 500mg #60 DOS: 8/4/15",
     dict(item="Methocarbamol", brand=None, generic="methocarbamol", drug_class="muscle_relaxant", strength="500mg",
          strength_mg=500, quantity=60, refills=None, date_of_service="2015-08-04", retrospective=True)),
    ("Norco 10/325mg #360",
     dict(item="Norco", brand="Norco", generic="hydrocodone/acetaminophen", drug_class="opioid", strength="10/325mg",
          strength_mg=10, quantity=360, refills=None, date_of_service=None, retrospective=None)),
    ("Flexeril 10mg #60 with 3 refills",
     dict(item="Flexeril", brand="Flexeril", generic="cyclobenzaprine", drug_class="muscle_relaxant", strength="10mg",
          strength_mg=10, quantity=60, refills=3, date_of_service=None, retrospective=None)),
    ("Norco 5/325mg #45",
     dict(item="Norco", brand="Norco", generic="hydrocodone/acetaminophen", drug_class="opioid", strength="5/325mg",
          strength_mg=5, quantity=45, refills=None, date_of_service=None, retrospective=None)),
    ("120 tablets of Norco 10/325 mg with 2 refills",
     dict(item="Norco", brand="Norco", generic="hydrocodone/acetaminophen", drug_class="opioid", strength="10/325mg",
          strength_mg=10, quantity=120, refills=2, date_of_service=None, retrospective=None)),
    ("30 tablets of Zanaflex 4mg with 2 refills",
     dict(item="Zanaflex", brand="Zanaflex", generic="tizanidine", drug_class="muscle_relaxant", strength="4mg",
          strength_mg=4, quantity=30, refills=2, date_of_service=None, retrospective=None)),
    ("Norco 10/325mg #100",
     dict(item="Norco", brand="Norco", generic="hydrocodone/acetaminophen", drug_class="opioid", strength="10/325mg",
          strength_mg=10, quantity=100, refills=None, date_of_service=None, retrospective=None)),
    ("Soma 350mg #60",
     dict(item="Soma", brand="Soma", generic="carisoprodol", drug_class="muscle_relaxant", strength="350mg",
          strength_mg=350, quantity=60, refills=None, date_of_service=None, retrospective=None)),
]


@pytest.mark.parametrize("text, want", SEED_ITEMS, ids=[t for t, _ in SEED_ITEMS])
def test_seed_item_lines(parse, text, want):
    r = parse(text)
    drug = r["drug"]
    got = dict(item=r.get("item"), brand=drug.get("brand"), generic=drug.get("generic"),
               drug_class=drug.get("drug_class"), strength=drug.get("strength"), strength_mg=drug.get("strength_mg"),
               quantity=r.get("quantity"), refills=r.get("refills"), date_of_service=r.get("date_of_service"),
               retrospective=r.get("retrospective"))
    assert got == want
    assert r["kind"] == "drug"
    assert "modality" not in r and "visits" not in r and "body_part" not in r


def test_seed_item_lines_are_found_in_the_seed_letters():
    """The nine lines above are the item lines of examples/letters, as written."""
    letters = sorted((ROOT / "examples" / "letters").glob("*.txt"))
    if not letters:
        pytest.skip("examples/letters holds no seed letters")
    lines = set()
    for path in letters:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\s*(.+?):\s*(?:Upheld|Overturned)\s*$", line)
            if m:
                lines.add(m.group(1).strip())
    assert {t for t, _ in SEED_ITEMS} == lines


# --------------------------------------------------------------------------- one example of each kind
# Wording from the dev letters (shared/corpus/dev-letters) unless marked otherwise.

KINDS = [
    ("MRI (magnetic resonance imaging) of the cervical spine",
     dict(kind="imaging", modality="mri", body_part="cervical_spine", item="MRI of the cervical spine")),
    ("X-rays of the left shoulder", dict(kind="imaging", modality="xray", body_part="shoulder", side="left")),
    ("Retrospective CT scan of the cervical spine (DOS 11/18/16)",
     dict(kind="imaging", modality="ct", body_part="cervical_spine", date_of_service="2016-11-18", retrospective=True)),
    ("EMG (electromyography)/NCV (nerve conduction velocity) of the bilateral upper extremities",
     dict(kind="electrodiagnostic", modality="emg_ncv", body_part="upper_extremity", side="bilateral")),
    ("NCS/EMG RUE", dict(kind="electrodiagnostic", modality="emg_ncv", body_part="upper_extremity", side="right")),
    ("NCV bilateral lower extremities QTY: 2",
     dict(kind="electrodiagnostic", modality="ncv", quantity=2, body_part="lower_extremity", side="bilateral")),
    ("Physical therapy 2-3 times a week for 6 weeks",
     dict(kind="physical_therapy", frequency_per_week=3, duration_weeks=6, visits=18)),
    ("Twelve sessions of physical therapy for the right shoulder, right wrist and right hand, three times a week for four weeks",
     dict(kind="physical_therapy", visits=12, frequency_per_week=3, duration_weeks=4, body_part="shoulder", side="right")),
    ("Ultrasound 1 times 8", dict(kind="physical_therapy", modality="ultrasound_therapy", visits=8,
                                  frequency_per_week=1, duration_weeks=8)),
    ("Ice/Heat pads therapy times 6", dict(kind="physical_therapy", modality="hot_cold_packs", visits=6)),
    ("Extracorporeal shockwave therapy (ESWT)", dict(kind="physical_therapy", modality="eswt")),
    ("two occupational therapy sessions for the left wrist",
     dict(kind="occupational_therapy", visits=2, body_part="wrist", side="left")),
    ("Aquatic therapy 2x6 for the lumbar spine",                   # not in the corpus
     dict(kind="aquatic_therapy", visits=12, frequency_per_week=2, duration_weeks=6, body_part="lumbar_spine")),
    ("Chiropractic care to the low back two times a week for four weeks",
     dict(kind="chiropractic", visits=8, frequency_per_week=2, duration_weeks=4, body_part="lumbar_spine")),
    ("Spinal manipulation 1 times 8", dict(kind="chiropractic", modality="manipulation", visits=8)),
    ("Referral to chiropractor for evaluation of low back pain and left groin pain, twice a week for 3 weeks",
     dict(kind="chiropractic", visits=6, frequency_per_week=2, duration_weeks=3, body_part="lumbar_spine")),
    ("Chiropractic x 6", dict(kind="chiropractic", visits=6, item="Chiropractic")),
    ("Electro acupuncture to the low back two times a week times six weeks",
     dict(kind="acupuncture", modality="electroacupuncture", visits=12, body_part="lumbar_spine")),
    ("Twelve acupuncture visits with Capsaicin patch, 2 times weekly for 6 weeks",
     dict(kind="acupuncture", visits=12, frequency_per_week=2, duration_weeks=6)),
    ("Acupuncture 3 times a week for 2 weeks, neck, right hand and head",
     dict(kind="acupuncture", visits=6, body_part="cervical_spine")),
    ("Right L4 transforaminal epidural steroid injection under fluoroscopic guidance",
     dict(kind="injection", modality="epidural_steroid", body_part="lumbar_spine", side="right")),
    ("Lumbar epidural steroid injection with pain interventionist consult and treatment",
     dict(kind="injection", modality="epidural_steroid", body_part="lumbar_spine")),
    ("One platelet-rich plasma injection to the right knee",
     dict(kind="injection", modality="prp", body_part="knee", side="right")),
    ("Right Shoulder Arthroscopy with rotator cuff repair vs debridement, subacromial decompression/acromioplasty "
     "and possible proximal biceps tenodynovitis",
     dict(kind="surgery", modality="rotator_cuff_repair", body_part="shoulder", side="right", item="Right Shoulder Arthroscopy")),
    # an associated surgical service is the service it names, tied to the surgery
    ("Associated surgical service: Cryotherapy unit, seven day use",
     dict(kind="equipment", modality="cold_therapy", duration_weeks=1, item="Cryotherapy unit", perioperative="associated")),
    ("Associated surgical service: Physical Therapy sessions, 12",
     dict(kind="physical_therapy", visits=12, perioperative="associated")),
    ("Preoperative Medical Clearance",
     dict(kind="surgery_associated", modality="medical_clearance", perioperative="pre_operative")),
    ("TENS unit", dict(kind="equipment", modality="tens")),
    ("Wrist braces #2", dict(kind="equipment", modality="brace", quantity=2, body_part="wrist")),
    ("Sit-stand workstation", dict(kind="equipment", modality="dme")),
    ("Hygiene wipes, one box", dict(kind="equipment", modality="non_medical_item")),
    ("Wedge pillow", dict(kind="equipment", modality="non_medical_item")),
    ("Neck support pillow", dict(kind="equipment", modality="pillow", body_part="cervical_spine")),
    ("Cognitive behavioral therapy x6", dict(kind="psychological", modality="psychotherapy", visits=6)),
    ("Biofeedback 1 time a week for 4 weeks", dict(kind="psychological", modality="biofeedback", visits=4)),
    ("Psychological evaluation", dict(kind="consultation", modality="psych_evaluation")),
    ("Neuropsychological testing", dict(kind="consultation", modality="neuropsych_testing")),
    ("EEG", dict(kind="electrodiagnostic", modality="eeg")),
    ("Hearing aids, bilateral", dict(kind="equipment", modality="hearing_aid")),
    ("Transportation to and from medical appointments", dict(kind="transportation", modality="transportation")),
    ("Home modifications: wheelchair ramp", dict(kind="equipment", modality="home_modification")),
    ("Partial hospitalization program, 10 days", dict(kind="program", modality="partial_hospitalization")),
    ("Spine surgery evaluation for the lumbar", dict(kind="consultation", body_part="lumbar_spine")),
    ("Consult with hip replacement specialist to evaluation for a total hip arthroplasty",
     dict(kind="consultation", body_part="hip", item="Consult with hip replacement specialist")),
    ("Functional capacity evaluation (FCE)", dict(kind="consultation", modality="fce")),
    ("Pre-op labs: PT/PTT", dict(kind="laboratory", modality="coagulation")),
    ("Pre-op urinalysis", dict(kind="laboratory", modality="urinalysis")),
    ("Electrocardiogram times 3", dict(kind="laboratory", modality="ecg", quantity=3)),
    ("Gym membership", dict(kind="program", modality="gym")),
    ("Daily RN for 4 weeks for wound care and monitoring of wound healing and home safety, medication management",
     dict(kind="home_health", modality="nursing", frequency_per_week=7, duration_weeks=4, visits=28)),
    ("Wound care nurse, 1-2 visits to evaluate right hip incision, treat, and demonstrate treatment",
     dict(kind="home_health", visits=2, body_part="hip", side="right")),
    ("Follow up office visit times 2", dict(kind="office_visit", visits=2)),
    ("Jamar grip test", dict(kind="office_visit", modality="functional_test")),
    ("Initial exam", dict(kind="office_visit")),
]


@pytest.mark.parametrize("text, want", KINDS, ids=[t[:50] for t, _ in KINDS])
def test_each_kind_from_real_wording(parse, text, want):
    r = parse(text)
    assert {k: r.get(k) for k in want} == want
    assert r["kind"] != "other" and "item" in r


def test_every_kind_of_the_schema_has_an_example(validator):
    schema = json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))
    covered = {want["kind"] for _, want in KINDS} | {"drug"}
    assert set(schema["$defs"]["kind"]["enum"]) - covered == {"other"}


# --------------------------------------------------------------------------- drug details

DRUGS = [
    ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40",
     dict(quantity=40, doses_per_day=2, days_supply=14), dict(form="tablet", strength_mg=5)),
    ("Post-op Norco 5/325mg #60, 1-2 tabs orally every 4-6 hrs as needed",
     dict(quantity=60, doses_per_day=12, days_supply=5), dict(generic="hydrocodone/acetaminophen")),
    ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill",
     dict(quantity=60, refills=1, doses_per_day=2, days_supply=30), dict(generic="pantoprazole", drug_class="ppi")),
    ("Oxycodone HCL ER 20mg #60 day supply: 30",
     dict(quantity=60, days_supply=30), dict(generic="oxycodone", strength_mg=20, form="extended-release")),
    ("Lorzone 750mg one by mouth three times a day #45",
     dict(quantity=45, doses_per_day=3, days_supply=15), dict(generic="chlorzoxazone", brand="Lorzone")),
    ("Two refills of Ibuprofen 600mg #90", dict(quantity=90, refills=2), dict(generic="ibuprofen", strength_mg=600)),
    ("Three months coverage of Viagra 50mg", dict(days_supply=90), dict(generic="sildenafil", brand="Viagra")),
    ("Ultram (tramadol) 50mg #90", dict(quantity=90), dict(brand="Ultram", generic="tramadol", strength="50mg")),
    ("Meloxicam (Mobic) 7.5mg #30", dict(quantity=30), dict(brand="Mobic", generic="meloxicam", strength_mg=7.5)),
    ("Norco 7.5-325mg #112", dict(quantity=112), dict(strength="7.5/325mg", strength_mg=7.5)),
    ("Diclofenac/misoprostol 75-0.2mg #60 with 2 refills", dict(quantity=60, refills=2),
     dict(generic="diclofenac/misoprostol", drug_class="nsaid", strength="75/0.2mg", strength_mg=75)),
    ("Hydrocodone 10/325 BID #60", dict(quantity=60, doses_per_day=2, days_supply=30),
     dict(generic="hydrocodone/acetaminophen", strength="10/325", strength_mg=10)),
    ("codeine/APAP 30/300 #30", dict(quantity=30), dict(generic="acetaminophen/codeine", strength_mg=30)),
    ("Tylenol #3 1-2 tabs q4-6h prn #60", dict(quantity=60, doses_per_day=12, days_supply=5),
     dict(generic="acetaminophen/codeine", brand="Tylenol #3")),
    ("Tramadol 50mg 1 tab every 8 hours #90 RF 3", dict(quantity=90, refills=3, doses_per_day=3, days_supply=30),
     dict(generic="tramadol")),
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, DOS: 11/11/2016",
     dict(quantity=60, refills=1, doses_per_day=4, date_of_service="2016-11-11", retrospective=True),
     dict(generic="diclofenac topical", drug_class="topical_analgesic", form="gel", brand="Voltaren Gel")),
    ("Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill, DOS: 11/11/2016",
     dict(quantity=1, refills=1, doses_per_day=1, date_of_service="2016-11-11"),
     dict(generic="lidocaine", drug_class="topical_analgesic", form="patch")),
    ("Fanatrex 25mg/ml oral suspension 420ml", dict(quantity=420),
     dict(generic="gabapentin", drug_class="anticonvulsant", strength="25mg/ml", form="oral suspension", compounded=True)),
    ("Synapryn (unknown quantity)", dict(quantity=None), dict(generic="tramadol", compounded=True)),
    ("Fentanyl patch 25mcg/hr #10", dict(quantity=10), dict(generic="fentanyl", strength="25mcg/hr", strength_mg=None)),
    ("Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16",
     dict(quantity=30, date_of_service="2016-11-14", retrospective=True), dict(generic="cyclobenzaprine", form="tablet")),
]


@pytest.mark.parametrize("text, want, want_drug", DRUGS, ids=[t[:50] for t, _, _ in DRUGS])
def test_drug_details(parse, text, want, want_drug):
    r = parse(text)
    assert r["kind"] == "drug"
    assert {k: r.get(k) for k in want} == want
    assert {k: r["drug"].get(k) for k in want_drug} == want_drug


def test_topical_compounds_list_their_ingredients(parse):
    r = parse("Compound cream: Flurbiprofen 20%, Lidocaine 5% 180gm")
    assert r["kind"] == "drug" and r["quantity"] == 180 and r["item"] == "Compound cream"
    drug = r["drug"]
    assert (drug["compounded"], drug["form"], drug["drug_class"]) == (True, "cream", "topical_analgesic")
    assert "generic" not in drug
    assert drug["ingredients"] == [
        {"name": "Flurbiprofen", "generic": "flurbiprofen", "drug_class": "nsaid", "percent": 20},
        {"name": "Lidocaine", "generic": "lidocaine", "drug_class": "topical_analgesic", "percent": 5},
    ]
    r = parse("Cyclobenzaprine 5% in cream base 240g")
    assert r["drug"]["drug_class"] == "topical_analgesic" and r["drug"]["compounded"] is True
    assert r["drug"]["ingredients"] == [{"name": "Cyclobenzaprine", "generic": "cyclobenzaprine",
                                         "drug_class": "muscle_relaxant", "percent": 5}]


def test_drugs_inside_other_kinds_are_ingredients(parse):
    r = parse("Retrospective injection 5cc of lidocaine hcl 1percent and 1cc of dexamethasone 120mg to the right knee")
    assert (r["kind"], r["modality"], r["body_part"], r["retrospective"]) == ("injection", "joint_injection", "knee", True)
    assert [(i["generic"], i.get("percent"), i.get("strength_mg")) for i in r["drug"]["ingredients"]] == [
        ("lidocaine", 1, None), ("dexamethasone", None, 120)]
    assert "generic" not in r["drug"]


def test_misspelled_drug_is_read_and_reported(parse):
    r = parse("Crisoprodol 350mg #60")
    assert r["drug"]["generic"] == "carisoprodol"
    assert any("misspelling" in w for w in r["warnings"])


# --------------------------------------------------------------------------- dates, partial authorizations

@pytest.mark.parametrize("text, iso", [
    ("Norco 10/325mg #120 date of service 8-4-2015", "2015-08-04"),
    ("Norco 10/325 #90 DOS: 12/13/2016", "2016-12-13"),
    ("Retrospective request for Norco 10/325 #90 dispensed on 3/2/16", "2016-03-02"),
    ("MRI of the lumbar spine (DOS 1/5/17)", "2017-01-05"),
])
def test_dates_of_service(parse, text, iso):
    r = parse(text)
    assert r["date_of_service"] == iso and r["retrospective"] is True


def test_invalid_date_is_a_warning_not_a_date(parse):
    r = parse("Norco 10/325mg #120 DOS: 13/45/15")
    assert "date_of_service" not in r
    assert any("not a valid date" in w for w in r["warnings"])


def test_retrospective_without_date(parse):
    r = parse("Retro Flexeril 10mg #60")
    assert r["retrospective"] is True and "date_of_service" not in r and r["item"] == "Flexeril"


def test_partial_authorization_sentence(parse):
    text = ("Physical therapy to the low back eight sessions was the original request. Physical therapy to the low "
            "back six sessions was authorized by the Claims Administrator. The remaining IMR eligible portion of the "
            "original request, Physical therapy to the low back two sessions is:")
    r = parse(text)
    assert {k: r.get(k) for k in ("kind", "visits", "body_part", "original_request", "authorized", "item")} == {
        "kind": "physical_therapy", "visits": 2, "body_part": "lumbar_spine",
        "original_request": "Physical therapy to the low back eight sessions",
        "authorized": "Physical therapy to the low back six sessions", "item": "Physical therapy"}


def test_partial_authorization_takes_context_from_the_original(parse):
    text = ("Retrospective: Open reduction internal fixation on left distal radius fracture with open carpal tunnel "
            "release DOS 12/13/2016 was the original request. Open reduction internal fixation on left distal radius "
            "fracture was authorized by the Claims Administrator. The remaining IMR eligible portion of the original "
            "request, with open carpal tunnel release is:")
    r = parse(text)
    assert (r["kind"], r["body_part"], r["date_of_service"], r["retrospective"]) == ("surgery", "wrist", "2016-12-13", True)
    assert r["item"] == "open carpal tunnel release"


def test_second_partial_wording(parse):
    text = ("Purchase of a bath/shower chair was the original request. The Claims Administrator authorized a "
            "bath/shower chair for 1 month, leaving the original request IMR eligible. The original request, "
            "purchase of a bath/shower chair is:")
    r = parse(text)
    assert (r["kind"], r["modality"]) == ("equipment", "dme")
    assert r["authorized"] == "a bath/shower chair for 1 month"
    assert r["original_request"] == "Purchase of a bath/shower chair"


def test_summed_visit_counts_are_reported(parse):
    r = parse("two physical therapy sessions for the lumbar spine, left shoulder and left knee and eight physical "
              "therapy sessions for the left wrist")
    assert r["visits"] == 10 and r["item"] == "physical therapy"
    assert any("sum" in w for w in r["warnings"]) and any("several body parts" in w for w in r["warnings"])


@pytest.mark.parametrize("text, visits, fewest", [
    ("Acupuncture 1-2 times a week for 6 weeks", 12, 6),
    ("Acupuncture 2 times a week for 4-6 weeks", 12, 8),
    ("Acupuncture 6-12 sessions", 12, 6),
    ("Physical therapy 2-3 times a week for 6 weeks", 18, 12),
])
def test_a_range_keeps_its_lower_end_in_visits_min(parse, text, visits, fewest):
    r = parse(text)
    assert (r["visits"], r["visits_min"]) == (visits, fewest)


def test_no_visits_min_without_a_range(parse):
    assert "visits_min" not in parse("Acupuncture 2 times a week for 6 weeks")


# --------------------------------------------------------------------------- odd text

ODD = ["", "   ", "???", "#", "1/2/3/4", "x" * 3000, "Norco " * 200, "(((", "[[", "Retro", "2x", "x 2",
       "was the original request.", "The remaining IMR eligible portion of the original request, is:",
       "#99999999999999999999", "q0h Norco every 0 hours", "İstanbul \ufffe ∑ Norco 10/325mg #12", "Upheld",
       "Quantum healing session", "DOS: 99/99/99", "1-2-3 times a week for - weeks"]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_never_raises(parse, text):
    r = parse(text)                      # schema-valid, no internal error (see the fixture)
    if r["kind"] == "other":
        assert any("not recognised" in w for w in r["warnings"])


def test_unrecognised_item_keeps_its_text(parse):
    r = parse("Quantum healing session, 4")
    assert r["kind"] == "other" and r["item"].startswith("Quantum healing")
    assert r["warnings"] == ["item not recognised: no drug of the lexicon and no service phrase; kind set to 'other'"]


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        parse_request(None)  # type: ignore[arg-type]


def test_outcome_words_do_not_change_the_parse():
    for text, _ in SEED_ITEMS:
        assert {k: v for k, v in parse_request(text + ": Upheld").items() if k != "text"} == \
               {k: v for k, v in parse_request(text).items() if k != "text"}


# --------------------------------------------------------------------------- the phrase data

@pytest.fixture
def vocab_copy(tmp_path) -> Path:
    target = tmp_path / "vocab"
    shutil.copytree(vocab_dir(), target)
    return target


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_new_phrase_is_data_not_code(vocab_copy):
    before = parse_request("Hippotherapy 2x6", vocabulary=load_request_vocabulary(vocab_copy))
    assert before["kind"] == "other"

    def add(data):
        next(k for k in data["kinds"] if k["id"] == "aquatic_therapy")["phrases"].append("hippotherapy")
    edit_yaml(vocab_copy / "request_kinds.yaml", add)
    after = parse_request("Hippotherapy 2x6", vocabulary=load_request_vocabulary(vocab_copy))
    assert (after["kind"], after["visits"]) == ("aquatic_therapy", 12)


def test_kind_priority_is_the_order_of_the_list(vocab_copy):
    text = "Spine surgery evaluation for the lumbar"
    assert parse_request(text, vocabulary=load_request_vocabulary(vocab_copy))["kind"] == "consultation"

    def surgery_first(data):
        kinds = data["kinds"]
        surgery = next(k for k in kinds if k["id"] == "surgery")
        kinds.remove(surgery)
        kinds.insert(0, surgery)
    edit_yaml(vocab_copy / "request_kinds.yaml", surgery_first)
    assert parse_request(text, vocabulary=load_request_vocabulary(vocab_copy))["kind"] == "surgery"


@pytest.mark.parametrize("file, change, message", [
    ("request_kinds.yaml", lambda d: d["kinds"][0].update(id="surgery_stuff"), r"kinds\[0\]: `id` must be one of"),
    ("request_kinds.yaml", lambda d: d["kinds"].pop(), r"kinds missing from the priority list: other"),
    ("request_kinds.yaml", lambda d: d["kinds"][0].update(yields_to=["chiro"]), r"yields_to names unknown kind 'chiro'"),
    ("modalities.yaml", lambda d: d["terms"][0].update(kind="pictures"), r"terms\[0\] \(mri\): `kind` must be one of"),
    ("modalities.yaml", lambda d: d["terms"][0].update(phrases="mri"), r"`phrases` must be a list"),
    ("body_parts.yaml", lambda d: d["terms"][0].update(patterns=["(unclosed"]), r"patterns\[0\] is not a valid regex"),
    ("body_parts.yaml", lambda d: d["terms"][0]["phrases"].append({"phrase": "rn", "side": "up"}),
     r"side must be left, right or bilateral"),
])
def test_broken_phrase_data_is_reported_with_file_and_entry(vocab_copy, file, change, message):
    edit_yaml(vocab_copy / file, change)
    with pytest.raises(RequestVocabularyError, match=message) as info:
        load_request_vocabulary(vocab_copy)
    assert file in str(info.value)


def test_phrase_vocabularies_keep_their_keys():
    for name in ("body_parts.yaml", "modalities.yaml"):
        data = yaml.safe_load((vocab_dir() / name).read_text(encoding="utf-8"))
        assert data["vocabulary"] in ("body_part", "modality")
        for term in data["terms"]:
            assert term["id"] and term["meaning"] and term["phrases"]


# --------------------------------------------------------------------------- the dev letters

def _dev_letters() -> Path | None:
    for candidate in (os.environ.get("MTUS_DEV_LETTERS"), ROOT.parent / "shared" / "corpus" / "dev-letters",
                      Path("/work/shared/corpus/dev-letters")):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("*.pdf")):
            return Path(candidate)
    return None


_OUTCOME = re.compile(r"(?:^|\s|:)(Upheld|Overturned)\s*$")
_STOP = ("Decision rationale", "Claims Administrator guideline", "MAXIMUS guideline")
_PARTIAL_START = re.compile(r"^(?:The remaining|remaining|eligible|The original|original request|by the Claims|"
                            r"Claims Administrator|was authorized|authorized by)")


def item_texts(text: str) -> list[str]:
    """The disputed item texts of one letter: the lines ending ": Upheld" or ": Overturned", joined with the
    lines they wrap from, partial-authorization sentences kept whole."""
    text = text.replace("\r", "")
    start = text.find("IMR ISSUES, DECISIONS AND RATIONALES")
    if start < 0:
        return []
    lines = [line.strip() for line in text[start:].split("\n")]
    out = []
    for n, line in enumerate(lines):
        m = _OUTCOME.search(line)
        if not m:
            continue
        head = line[:m.start(1)].rstrip()
        if head and not head.endswith(":"):
            continue
        if not head and not (n and lines[n - 1].endswith(":")):
            continue
        parts = [head] if head else []
        k = n - 1
        while k >= 0 and len(parts) < 7:
            prev = lines[k]
            if not prev or prev.endswith("below:") or any(s in prev for s in _STOP):
                break
            if prev.endswith(".") and not re.search(r"(original request|Claims Administrator|IMR eligible)\.?$", prev) \
                    and not (parts and _PARTIAL_START.match(parts[0])):
                break
            parts.insert(0, prev)
            k -= 1
        out.append(" ".join(p for p in parts if p))
    return out


def test_dev_letter_items(parse):
    folder = _dev_letters()
    if folder is None:
        pytest.skip("the dev letters (shared/corpus/dev-letters) are not on this machine; set MTUS_DEV_LETTERS")
    pdfium = pytest.importorskip("pypdfium2")
    items = []
    for path in sorted(folder.glob("*.pdf")):
        pdf = pdfium.PdfDocument(str(path))
        try:
            text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
        finally:
            pdf.close()
        items += [(path.stem, t) for t in item_texts(text)]
    assert len(items) == 186, "the dev letters hold 186 decided items"
    results = [(stem, text, parse(text)) for stem, text in items]
    other = [(stem, text) for stem, text, r in results if r["kind"] == "other"]
    assert len(other) / len(results) <= 0.02, other
    for stem, text, r in results:
        where = f"{stem}: {text}"
        if r["kind"] == "drug":
            assert r["drug"].get("generic") or r["drug"].get("ingredients"), where
        if re.search(r"\bMRI\b", text) and r["kind"] == "imaging":
            assert r["modality"] == "mri", where
        hashes = re.findall(r"#\s*(\d+)", text.split("original request, ")[-1])
        if r["kind"] == "drug" and hashes:
            assert r.get("quantity") == int(hashes[0]), where
    kinds = {r["kind"] for _, _, r in results}
    assert {"drug", "imaging", "electrodiagnostic", "physical_therapy", "chiropractic", "acupuncture", "injection",
            "equipment", "consultation", "laboratory", "surgery", "surgery_associated", "home_health",
            "office_visit", "program", "occupational_therapy"} <= kinds


# --------------------------------------------------------------------------- branded topicals

@pytest.mark.parametrize("text, generic, ingredients", [
    ("Terocin patch #30", "lidocaine/menthol", {"lidocaine", "menthol"}),
    ("Terocin lotion 120ml", "methyl salicylate/capsaicin/menthol/lidocaine",
     {"methyl salicylate", "capsaicin", "menthol", "lidocaine"}),
    ("Medrox patch #30", "capsaicin/menthol", {"capsaicin", "menthol"}),
    ("Methoderm gel 120g", "methyl salicylate/menthol", {"methyl salicylate", "menthol"}),
])
def test_a_combination_topical_named_by_brand_lists_its_ingredients(parse, text, generic, ingredients):
    drug = parse(text)["drug"]
    assert drug["generic"] == generic and drug["drug_class"] == "topical_analgesic"
    assert {i["generic"] for i in drug["ingredients"]} == ingredients


def test_a_compounded_cream_named_by_brand_is_topical_with_its_ingredients(parse):
    drug = parse("Fluriflex 180gm")["drug"]
    assert drug["drug_class"] == "topical_analgesic" and drug["compounded"] is True
    assert [i["drug_class"] for i in drug["ingredients"]] == ["nsaid", "muscle_relaxant"]


def test_an_unknown_brand_of_cream_is_reported_not_guessed(parse):
    r = parse("Xyzcin cream 120g")
    assert "generic" not in r["drug"] and "ingredients" not in r["drug"]
    assert any("ingredients are unknown" in w for w in r["warnings"])
