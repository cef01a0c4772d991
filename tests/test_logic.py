"""Three-valued truth tables, checked exhaustively through the compiled language."""
import itertools

import pytest

from engine import UNKNOWN, case_from_dict, compile_expression

STATUS = {True: "present", False: "absent"}
VALUES = [True, False, UNKNOWN]


def _case(a, b):
    findings = {}
    for concept, value in (("pain_relief", a), ("uds_consistent", b)):
        if value is not UNKNOWN:
            findings[concept] = {"status": STATUS[value]}
    return case_from_dict({"findings": findings, "requests": [{"text": "x"}]})


def kleene_and(a, b):
    if a is False or b is False:
        return False
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return True


def kleene_or(a, b):
    if a is True or b is True:
        return True
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return False


@pytest.mark.parametrize("a,b", list(itertools.product(VALUES, VALUES)))
def test_and_or_truth_tables(a, b):
    case = _case(a, b)
    conj = compile_expression("findings.pain_relief and findings.uds_consistent").evaluate(case)
    disj = compile_expression("findings.pain_relief or findings.uds_consistent").evaluate(case)
    assert conj is kleene_and(a, b)
    assert disj is kleene_or(a, b)


@pytest.mark.parametrize("a", VALUES)
def test_not_truth_table(a):
    value = compile_expression("not findings.pain_relief").evaluate(_case(a, UNKNOWN))
    assert value is (UNKNOWN if a is UNKNOWN else (not a))


@pytest.mark.parametrize("a,b", list(itertools.product(VALUES, VALUES)))
def test_de_morgan_holds_in_three_values(a, b):
    case = _case(a, b)
    left = compile_expression("not (findings.pain_relief and findings.uds_consistent)").evaluate(case)
    right = compile_expression("not findings.pain_relief or not findings.uds_consistent").evaluate(case)
    assert left is right


def test_trace_keeps_not_documented_apart_from_not_mentioned():
    case = case_from_dict({"findings": {"pain_relief": {"status": "not_documented", "evidence": {"quote": "no documentation of pain relief"}}},
                           "requests": [{"text": "x"}]})
    trace = []
    value = compile_expression("findings.pain_relief or findings.uds_consistent").evaluate(case, trace=trace)
    assert value is UNKNOWN
    assert [(r.path, r.status) for r in trace] == [("findings.pain_relief", "not_documented"),
                                                    ("findings.uds_consistent", "missing")]
    assert trace[0].evidence["quote"] == "no documentation of pain relief"
