"""Case validation: every problem with its JSON path; the reviewer is never read by evaluation."""
import json

import pytest

from engine import CaseInvalid, case_from_dict, evaluate, load_case, load_rules, validate_case
from engine.cli import main

MINIMAL = {"requests": [{"text": "Norco 10/325mg #120"}]}


def paths(data):
    return [e.path for e in validate_case(data)]


def test_minimal_case_is_valid():
    assert validate_case(MINIMAL) == []


def test_requests_are_required():
    assert paths({}) == ["$"]


@pytest.mark.parametrize("data,path", [
    ({"requests": [{"text": "x", "quantity": "sixty"}]}, "$.requests[0].quantity"),
    ({"requests": [{"text": "x", "refills": -1}]}, "$.requests[0].refills"),
    ({"requests": [{"text": "x", "date_of_service": "8/4/15"}]}, "$.requests[0].date_of_service"),
    ({"requests": [{"text": "x", "kind": "drugs"}]}, "$.requests[0].kind"),
    ({"requests": [{"text": "x", "date_of_service": "2015-02-30"}]}, "$.requests[0].date_of_service"),
    ({"requests": [{}]}, "$.requests[0]"),
    ({"pain": {"current": 12}, "requests": [{"text": "x"}]}, "$.pain.current"),
    ({"pain": {"current": {"value": "high"}}, "requests": [{"text": "x"}]}, "$.pain.current"),
    ({"findings": {"pain_relief": {"status": "yes"}}, "requests": [{"text": "x"}]}, "$.findings.pain_relief.status"),
    ({"findings": {"pain_relife": {"status": "present"}}, "requests": [{"text": "x"}]}, "$.findings.pain_relife"),
    ({"requests": [{"text": "x", "findings": {"nope": {"status": "present"}}}]}, "$.requests[0].findings.nope"),
    ({"patient": {"age": 40, "height": 180}, "requests": [{"text": "x"}]}, "$.patient"),
    ({"requests": [{"text": "x", "id": "r1"}, {"text": "y", "id": "r1"}]}, "$.requests[1].id"),
    ({"requests": [{"text": "x"}], "reviewer": {"items": [{"request_id": "r9", "outcome": "upheld"}]}}, "$.reviewer.items[0].request_id"),
    ({"requests": [{"text": "x"}], "reviewer": {"items": [{"request_id": "r1", "outcome": "denied"}]}}, "$.reviewer.items[0].outcome"),
])
def test_invalid_case_names_the_json_path(data, path):
    assert path in paths(data)


def test_every_problem_is_listed():
    data = {"pain": {"current": 12}, "requests": [{"text": "x", "quantity": "a", "refills": -2}]}
    assert sorted(paths(data)) == ["$.pain.current", "$.requests[0].quantity", "$.requests[0].refills"]


def test_load_case_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"requests": [}')
    with pytest.raises(Exception) as info:
        load_case(bad)
    assert "bad.json" in str(info.value) and "json_syntax_error" in str(info.value)
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"requests": [{"text": "x", "quantity": -5}]}))
    with pytest.raises(CaseInvalid) as info:
        load_case(invalid)
    assert "invalid.json: $.requests[0].quantity" in info.value.render()


def test_evaluation_never_reads_the_reviewer():
    rules = load_rules()
    base = json.loads(open("examples/cases/seed-001-norco.json").read())
    flipped = json.loads(json.dumps(base))
    flipped["reviewer"]["items"][0]["outcome"] = "upheld"
    flipped["reviewer"]["items"][0]["rationale"] = "The acute exacerbation criteria were not met."
    stripped = {k: v for k, v in base.items() if k != "reviewer"}
    results = [evaluate(rules, case_from_dict(d)) for d in (base, flipped, stripped)]
    assert results[0] == results[1] == results[2]
    assert "reviewer" not in case_from_dict(base).environment(0)


def test_validate_command(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(MINIMAL))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"requests": [{"text": "x", "refills": "two"}]}))
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(bad)]) == 3
    err = capsys.readouterr().err
    assert "$.requests[0].refills" in err


def test_fact_errors_read_from_the_bare_value_form():
    (error,) = validate_case({"patient": {"sex": "m"}, "requests": [{"text": "x"}]})
    assert error.path == "$.patient.sex" and "'male'" in error.message
