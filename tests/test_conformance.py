"""Conformance tables for the condition language (tests/conformance/*.yaml).

Each test compiles its condition against the shipped vocabularies and evaluates it against
its case. Set ENGINE_TEST=<file name> to run one file.
"""
import os
from pathlib import Path

import pytest
import yaml

from engine import UNKNOWN, ErrorList, case_from_dict, compile_expression

HERE = Path(__file__).parent / "conformance"


def _tests():
    only = os.environ.get("ENGINE_TEST")
    for path in sorted(HERE.glob("*.yaml")):
        if only and only not in path.name:
            continue
        data = yaml.safe_load(path.read_text())
        for section in data["sections"]:
            for test in section["tests"]:
                yield pytest.param(path.name, test, id=f"{path.stem}/{section['name']}/{test['name']}")


@pytest.mark.parametrize("file,test", list(_tests()))
def test_conformance(file, test):
    expect = test.get("expect", True)
    case = dict(test.get("case") or {})
    case.setdefault("requests", [{"text": "request"}])
    if isinstance(expect, dict) and "error_code" in expect:
        with pytest.raises(ErrorList) as info:
            compile_expression(test["condition"])
        codes = [e.code for e in info.value.errors]
        assert expect["error_code"] in codes, info.value.render()
        return
    expression = compile_expression(test["condition"])
    value = expression.evaluate(case_from_dict(case))
    if expect == "unknown":
        assert value is UNKNOWN, f"{test['condition']}: expected unknown, got {value!r}"
    else:
        assert value is not UNKNOWN and value == expect, f"{test['condition']}: expected {expect!r}, got {value!r}"
