"""Case values are checked against the vocabularies: an unknown drug class, generic, body part,
finding concept, request kind, diagnosis tag or modality is an error with its JSON path and the
nearest known value; local values (x-...) only where the schema allows them; and the fast
valid-or-not check agrees with the explaining path."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from engine import CaseInvalid, case_from_dict, validate_case
from engine.case import _fast_check, _quick_check, vocabulary_errors
from engine.cli import run
from engine.vocab import default_vocabularies

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def base() -> dict:
    return {
        "schema_version": 1,
        "injury": {"date": "2014-01-02", "body_parts": ["lumbar_spine"]},
        "diagnoses": [{"text": "lumbar radiculopathy", "tags": ["radiculopathy"]}],
        "medications": [{"name": "Flexeril", "generic": "cyclobenzaprine", "drug_class": "muscle_relaxant"}],
        "treatments": [{"kind": "physical_therapy", "body_part": "lumbar_spine", "count": 12}],
        "findings": {"pain_relief": {"status": "present"}},
        "requests": [{"id": "r1", "text": "Norco 10/325mg #90", "kind": "drug",
                      "drug": {"name": "Norco", "generic": "hydrocodone/acetaminophen", "drug_class": "opioid",
                               "ingredients": [{"name": "acetaminophen", "generic": "acetaminophen"}]},
                      "findings": {"functional_improvement": {"status": "absent"}}},
                     {"id": "r2", "text": "Lumbar ESI", "kind": "injection", "modality": "epidural_steroid",
                      "body_part": "lumbar_spine"}],
    }


def with_value(path: list, value) -> dict:
    case = base()
    target = case
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return case


# (where, bad value, JSON path, code, suggestion)
MALFORMED = [
    (["requests", 0, "drug", "drug_class"], "opiod", "$.requests[0].drug.drug_class", "unknown_drug_class", "opioid"),
    (["requests", 0, "drug", "generic"], "hydrocodone/acetaminophn", "$.requests[0].drug.generic", "unknown_generic",
     "hydrocodone/acetaminophen"),
    (["medications", 0, "generic"], "cyclobenzaprin", "$.medications[0].generic", "unknown_generic", "cyclobenzaprine"),
    (["medications", 0, "drug_class"], "muscle_relaxants", "$.medications[0].drug_class", "unknown_drug_class",
     "muscle_relaxant"),
    (["requests", 0, "drug", "ingredients", 0, "generic"], "acetaminofen",
     "$.requests[0].drug.ingredients[0].generic", "unknown_generic", "acetaminophen"),
    (["injury", "body_parts", 0], "lumbar_spin", "$.injury.body_parts[0]", "unknown_body_part", "lumbar_spine"),
    (["requests", 1, "body_part"], "sholder", "$.requests[1].body_part", "unknown_body_part", "shoulder"),
    (["treatments", 0, "body_part"], "knees", "$.treatments[0].body_part", "unknown_body_part", "knee"),
    (["diagnoses", 0, "tags", 0], "radiculopaty", "$.diagnoses[0].tags[0]", "unknown_diagnosis_tag", "radiculopathy"),
    (["requests", 1, "modality"], "epidural_steroids", "$.requests[1].modality", "unknown_modality",
     "epidural_steroid"),
    (["requests", 1, "kind"], "injektion", "$.requests[1].kind", "unknown_request_kind", "injection"),
    (["treatments", 0, "kind"], "physical_therapie", "$.treatments[0].kind", "unknown_request_kind",
     "physical_therapy"),
    (["findings", "pain_relief", "body_parts"], ["lumbar_spine", "hnd"], "$.findings.pain_relief.body_parts[1]",
     "unknown_body_part", "hand"),
]


@pytest.mark.parametrize("where, bad, path, code, suggestion", MALFORMED, ids=[m[2] for m in MALFORMED])
def test_unknown_value_is_an_error_with_path_and_suggestion(where, bad, path, code, suggestion):
    case = with_value(where, bad)
    errors = validate_case(case)
    assert [(e.path, e.code) for e in errors] == [(path, code)]
    assert f"did you mean {suggestion!r}?" in errors[0].message
    assert not _fast_check(default_vocabularies())(case)


def test_unknown_finding_concepts_at_both_levels():
    case = base()
    case["findings"]["pain_relif"] = {"status": "present"}
    case["requests"][0]["findings"]["functional_improvment"] = {"status": "present"}
    errors = validate_case(case)
    assert [(e.path, e.code) for e in errors] == [("$.findings.pain_relif", "unknown_concept"),
                                                  ("$.requests[0].findings.functional_improvment", "unknown_concept")]
    assert "did you mean 'pain_relief'?" in errors[0].message
    assert "did you mean 'functional_improvement'?" in errors[1].message


def test_mention_body_part_and_side_are_checked():
    case = base()
    case["findings"]["pain_relief"]["mentions"] = [{"status": "absent", "body_parts": ["kne"], "side": "left"}]
    errors = validate_case(case)
    assert [(e.path, e.code) for e in errors] == [("$.findings.pain_relief.mentions[0].body_parts[0]",
                                                   "unknown_body_part")]
    assert "did you mean 'knee'?" in errors[0].message
    case["findings"]["pain_relief"]["mentions"][0].update(body_parts=["knee"], side="lefft")
    [error] = validate_case(case)
    assert error.path == "$.findings.pain_relief.mentions[0].side" and "did you mean 'left'?" in error.message


def test_a_value_far_from_every_known_one_has_no_suggestion():
    [error] = validate_case(with_value(["requests", 0, "drug", "drug_class"], "zzzz"))
    assert error.code == "unknown_drug_class" and "did you mean" not in error.message and error.hint is None


def test_every_problem_is_listed_in_document_order():
    case = base()
    case["injury"]["body_parts"] = ["lumbar_spin"]
    case["requests"][0]["drug"]["drug_class"] = "opiod"
    case["requests"][1]["id"] = "r1"
    errors = validate_case(case)
    assert [e.path for e in errors] == ["$.injury.body_parts[0]", "$.requests[0].drug.drug_class", "$.requests[1].id"]


def test_local_values_only_where_the_schema_allows_them():
    # the patient's own medication list may hold a drug the lexicon lacks, marked x-
    assert validate_case(with_value(["medications", 0, "generic"], "x-turmeric")) == []
    assert validate_case(with_value(["medications", 0, "drug_class"], "x-supplement")) == []
    assert validate_case(with_value(["requests", 0, "drug", "ingredients", 0, "generic"], "x-camphor")) == []
    # not for what the rules decide on or read as vocabulary terms
    for where, code in [(["requests", 0, "drug", "generic"], "unknown_generic"),
                        (["injury", "body_parts", 0], "unknown_body_part"),
                        (["diagnoses", 0, "tags", 0], "unknown_diagnosis_tag")]:
        [error] = validate_case(with_value(where, "x-local"))
        assert error.code == code, where


def test_case_from_dict_raises_with_every_problem():
    case = with_value(["requests", 0, "drug", "drug_class"], "opiod")
    with pytest.raises(CaseInvalid) as caught:
        case_from_dict(case, file="case.json")
    assert caught.value.render() == ("case.json: $.requests[0].drug.drug_class: unknown_drug_class: 'opiod' is not a "
                                     "drug class of the vocabulary (did you mean 'opioid'?)\n1 error")


def test_mtus_validate_names_the_path_and_the_suggestion(tmp_path, capsys):
    """GIVEN a case with a misspelt body part WHEN `mtus validate` THEN exit 3 and the path, code and hint."""
    path = tmp_path / "case.json"
    path.write_text(json.dumps(with_value(["requests", 1, "body_part"], "sholder")))
    import io
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(path)], out, err) == 3
    assert "$.requests[1].body_part: unknown_body_part: 'sholder' is not a body part of the vocabulary " \
           "(did you mean 'shoulder'?)" in err.getvalue()


VOCAB_KEYS = {"generic": "generic", "drug_class": "drug_class", "body_part": "body_part", "modality": "modality"}


def _mutations(rng: random.Random, doc: dict):
    """Copies of `doc` with a vocabulary value or a finding key misspelt (or a local value)."""
    out = []
    places = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in VOCAB_KEYS and isinstance(item, str):
                    places.append(path + [key])
                elif key in ("findings",) and isinstance(item, dict):
                    places.extend(path + [key, concept, "__key__"] for concept in item)
                walk(item, path + [key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + [index])
    walk(doc, [])
    for place in rng.sample(places, min(len(places), 6)):
        copy_ = copy.deepcopy(doc)
        target = copy_
        for part in place[:-2 if place[-1] == "__key__" else -1]:
            target = target[part]
        if place[-1] == "__key__":
            concept = place[-2]
            target[concept[:-1] if rng.random() < 0.7 else concept] = target.pop(concept)
        else:
            value = target[place[-1]]
            target[place[-1]] = rng.choice([value[:-1], value + "s", "x-" + value, value])
        out.append(copy_)
    return out


def test_fast_check_agrees_with_the_explaining_path():
    rng = random.Random(5)
    vocab = default_vocabularies()
    fast = _fast_check(vocab)
    verdicts = {True: 0, False: 0}
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    for doc in docs:
        for mutated in [doc] + _mutations(rng, doc):
            explained = _quick_check()(mutated) and not vocabulary_errors(mutated, vocab)
            assert fast(mutated) == explained, json.dumps(mutated)[:500]
            verdicts[explained] += 1
    assert verdicts[True] > 50 and verdicts[False] > 50
