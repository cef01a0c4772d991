"""engine.schemacheck answers "valid or not" exactly as jsonschema does, on the package's schemas.

Documents: the example cases, the shipped rule files, and thousands of random mutations of
them (a value replaced, a key removed or added), so that both answers are exercised.
"""
import copy
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine import loader
from engine.case import _quick_check as case_quick_check, _validator as case_validator
from engine.schemacheck import SchemaChecker
from engine.yamlread import compose, construct

ROOT = Path(__file__).resolve().parent.parent

VALUES = [None, True, False, 0, 1, -1, 2.5, 1.0, 10 ** 6, "", "x", "opioid", "present", "2016-07-28",
          "2016-13-45", "16-07-28", [], [1], ["x"], [{}], {}, {"value": 1}, {"value": "x", "evidence": {}},
          {"status": "present"}]
KEYS = ["value", "status", "evidence", "unknown_key", "id", "text", "quote", "x"]


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, prefix + (index,))


def _mutate(doc, rng: random.Random):
    doc = copy.deepcopy(doc)
    paths = list(_paths(doc))
    for _ in range(rng.choice([1, 1, 2, 3])):
        path = rng.choice(paths)
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if not path:
            continue
        try:
            target = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        move = rng.random()
        if move < 0.5:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        elif move < 0.7 and isinstance(parent, dict):
            del parent[path[-1]]
        elif move < 0.85 and isinstance(target, dict):
            target[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
        elif isinstance(target, list):
            target.append(copy.deepcopy(rng.choice(VALUES + ([target[0]] if target else []))))
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        paths = list(_paths(doc))
    return doc


def _agree(check, validator, docs, rounds, seed):
    rng = random.Random(seed)
    verdicts = {True: 0, False: 0}
    for doc in docs:
        assert check(doc) == validator.is_valid(doc)
        verdicts[validator.is_valid(doc)] += 1
    for _ in range(rounds):
        doc = _mutate(rng.choice(docs), rng)
        expected = validator.is_valid(doc)
        assert check(doc) == expected, json.dumps(doc, default=str)[:2000]
        verdicts[expected] += 1
    return verdicts


def test_cases_agree_with_jsonschema():
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples" / "cases").glob("*.json"))]
    verdicts = _agree(case_quick_check(), case_validator(), docs, rounds=1500, seed=7)
    assert verdicts[True] > 100 and verdicts[False] > 500     # both answers were exercised


def _rule_docs():
    docs = []
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        if "vocab" in path.parts:
            continue
        docs.append(construct(*compose(path.read_text(encoding="utf-8"))))
    return docs


@pytest.mark.parametrize("kind", ["rule_file", "pack_file"])
def test_rule_files_agree_with_jsonschema(kind):
    docs = [d for d in _rule_docs() if ("pack" in d) == (kind == "pack_file")]
    verdicts = _agree(loader._quick_check(kind), loader._validator(kind), docs, rounds=800, seed=11)
    assert verdicts[True] > 20 and verdicts[False] > 250


def test_rule_test_cases_agree_with_jsonschema():
    docs = [dict(t["case"], requests=t["case"].get("requests", [{"text": "x"}]))
            for d in _rule_docs() if "rules" in d for r in d["rules"] for t in r["tests"]]
    _agree(case_quick_check(), case_validator(), docs[::5], rounds=800, seed=13)


@pytest.mark.parametrize("schema, valid, invalid", [
    ({"type": "integer"}, [1, 1.0, -3], [True, 1.5, "1", None]),
    ({"type": "number", "minimum": 0, "maximum": 10}, [0, 10, 2.5], [-1, 11, True, "3"]),
    ({"type": ["string", "null"], "minLength": 2}, ["ab", None], ["a", 1]),
    ({"enum": [1, "a"]}, [1, 1.0, "a"], [True, "1", 2]),
    ({"const": False}, [False], [0, None]),
    ({"pattern": "^[a-z]+$"}, ["abc", 5], ["ABC", ""]),
    ({"type": "array", "items": {"type": "string"}, "minItems": 1}, [["a"]], [[], [1], "a"]),
    ({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}},
      "additionalProperties": False, "minProperties": 1}, [{"a": "x"}], [{}, {"a": 1}, {"a": "x", "b": 1}, []]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1.5], [1, "x"]),
    ({"additionalProperties": {"type": "integer"}}, [{"a": 1}, 3], [{"a": "x"}]),
])
def test_keywords(schema, valid, invalid):
    check = SchemaChecker(schema)
    validator = Draft202012Validator(schema)
    for doc in valid:
        assert validator.is_valid(doc) and check(doc), doc
    for doc in invalid:
        assert not validator.is_valid(doc) and not check(doc), doc


def test_date_format_only_when_formats_are_checked():
    schema = {"type": "string", "format": "date"}
    assert SchemaChecker(schema)("2016-02-30")
    strict = SchemaChecker(schema, formats=True)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for value in ["2016-02-28", "2016-02-30", "28/02/2016", "2016-2-28", "\u0662016-02-28", "2016-02-28\n", 20160228]:
        assert strict(value) == validator.is_valid(value), value
    with pytest.raises(ValueError, match="email"):
        SchemaChecker({"format": "email"}, formats=True)


def test_recursive_references():
    schema = {"$defs": {"tree": {"type": "object", "properties": {"kids": {"type": "array",
                                                                            "items": {"$ref": "#/$defs/tree"}}},
                                 "additionalProperties": False}},
              "$ref": "#/$defs/tree"}
    check = SchemaChecker(schema)
    assert check({"kids": [{"kids": []}, {}]})
    assert not check({"kids": [{"kids": [{"other": 1}]}]})


def test_unknown_keywords_are_refused_not_skipped():
    with pytest.raises(ValueError, match="patternProperties"):
        SchemaChecker({"type": "object", "patternProperties": {"^x": {"type": "string"}}})
    with pytest.raises(ValueError, match="local"):
        SchemaChecker({"$ref": "https://example.com/schema.json"})
