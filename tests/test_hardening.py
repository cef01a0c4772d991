"""A hard shell around the engine: whatever comes in, only the engine's own errors come out.

Property-based (hypothesis, bounded: a deadline and a maximum number of examples per test):
- expressions generated from the grammar, and random strings, either compile or raise the
  engine's `ErrorList` whose errors carry a column inside the text;
- compiled expressions, evaluated traced and untraced on generated cases (huge numbers, dates
  at the ends of the calendar, regions and mentions), never raise and agree with each other;
  whole cases are decided and rendered without an error.
Then by example: date and number overflow is unknown; `evaluate_env` on something that is not
an environment is an engine error; deeply nested or absurdly long conditions are refused.
"""
from __future__ import annotations

import datetime as _dt
import io
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import UNKNOWN, EngineError, ErrorList, case_from_dict, compile_expression, load_rules
from engine.cli import run
from engine.errors import EvalError
from engine.evaluator import decide_case, render_case
from engine.parser import MAX_DEPTH
from engine.vocab import default_vocabularies

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()
VOCAB = default_vocabularies()
BOUNDED = settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.filter_too_much])

NAMES = ["request", "drug", "drug_class", "generic", "quantity", "refills", "days_supply", "prior_use_weeks",
         "date_of_service", "body_parts", "findings", "pain_relief", "functional_improvement", "aberrant_behavior",
         "pain", "with_meds", "without_meds", "patient", "age", "injury", "date", "medications", "m", "status",
         "diagnoses", "d", "tags", "treatments", "t", "count", "kind", "known", "len", "min", "max", "abs",
         "pct_drop", "in_weeks", "in_days", "daily_med", "contains", "lower", "x"]
STRINGS = ['"opioid"', '"current"', '"neuropathic"', '"drug"', '"knee"', "'x'", '"hydrocodone/acetaminophen"']
# The grammar's productions written as a hypothesis recursion. (hypothesis.extra.lark.from_lark was
# tried: on this recursive grammar it abandons most of its draws, about 2 s per example, too slow
# for the default suite.) Paths are real case paths, so that many
# expressions pass the checker and get compiled and evaluated.
PATHS = ["request.drug.drug_class", "request.drug.generic", "request.quantity", "request.refills",
         "request.days_supply", "request.prior_use_weeks", "request.date_of_service", "request.body_parts",
         "request.kind", "findings.pain_relief", "findings.aberrant_behavior", "pain.with_meds",
         "pain.without_meds", "patient.age", "injury.date", "medications", "diagnoses", "treatments"]
ATOMS = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from(["0", "3", "7.5", "90", "99999999999999999999", "true", "false", "2016-07-28", "9999-12-31",
                     "0001-01-01", "3 weeks", "999999 years", "120 mg MED", "5 mg"] + STRINGS),
)


def _combine(inner):
    two = st.tuples(inner, inner)
    return st.one_of(
        two.map(lambda p: f"{p[0]} and {p[1]}"), two.map(lambda p: f"{p[0]} or {p[1]}"),
        inner.map(lambda e: f"not {e}"), inner.map(lambda e: f"-{e}"), inner.map(lambda e: f"({e})"),
        st.tuples(inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "in", "not in"]),
                  inner).map(" ".join),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(st.sampled_from(["known", "len", "min", "max", "abs", "pct_drop", "in_weeks", "in_days",
                                   "daily_med", "contains", "lower"]),
                  st.lists(inner, min_size=1, max_size=2)).map(lambda c: f"{c[0]}({', '.join(c[1])})"),
        st.tuples(st.sampled_from(["any", "all", "count"]),
                  st.sampled_from([("m", "medications", "m.drug_class"), ("d", "diagnoses", "d.tags"),
                                   ("t", "treatments", "t.count")]), inner).map(
            lambda q: f"{q[0]}({q[1][0]} in {q[1][1]}: {q[1][2]} {q[2]})"),
    )


EXPRESSIONS = st.recursive(ATOMS, _combine, max_leaves=10)

# Typed: conditions that pass the checker, so that they are compiled and evaluated.
PLAIN = st.one_of(st.sampled_from(["request.quantity", "request.refills", "pain.with_meds", "pain.without_meds",
                                   "request.doses_per_day", "0", "3", "7.5", "99999999999999999999"]))
TIME = st.one_of(st.sampled_from(["request.days_supply", "request.prior_use_weeks", "patient.age", "3 weeks",
                                  "999999 years", "0 days"]))
DATE = st.sampled_from(["request.date_of_service", "injury.date", "2016-07-28", "9999-12-31", "0001-01-01"])
PLAIN_EXPR = st.recursive(PLAIN, lambda e: st.one_of(
    st.tuples(e, st.sampled_from(["+", "-", "*", "/"]), e).map(" ".join), e.map(lambda x: f"(-{x})"),
    st.tuples(e, e).map(lambda p: f"pct_drop({p[0]}, {p[1]})"), e.map(lambda x: f"abs({x})")), max_leaves=4)
TIME_EXPR = st.one_of(
    TIME, st.tuples(DATE, DATE).map(lambda p: f"({p[0]} - {p[1]})"),
    st.tuples(TIME, st.sampled_from(["+", "-"]), TIME).map(" ".join),
    st.tuples(TIME, PLAIN_EXPR).map(lambda p: f"{p[0]} * ({p[1]})"))
DATE_EXPR = st.one_of(DATE, st.tuples(DATE, st.sampled_from(["+", "-"]), TIME_EXPR).map(" ".join))
COMPARISON = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
TYPED_BOOL = st.recursive(
    st.one_of(
        st.sampled_from(["findings.pain_relief", "findings.aberrant_behavior", "known(findings.uds_consistent)",
                         "daily_med(request) > 120 mg MED", '"opioid" == request.drug.drug_class',
                         'any(m in medications: m.drug_class == "opioid")', '"knee" in request.body_parts']),
        st.tuples(PLAIN_EXPR, COMPARISON, PLAIN_EXPR).map(" ".join),
        st.tuples(TIME_EXPR, COMPARISON, TIME_EXPR).map(" ".join),
        st.tuples(DATE_EXPR, COMPARISON, DATE_EXPR).map(" ".join),
        st.tuples(TIME_EXPR).map(lambda t: f"in_weeks({t[0]}) > 2")),
    lambda b: st.one_of(st.tuples(b, b).map(lambda p: f"({p[0]} and {p[1]})"),
                        st.tuples(b, b).map(lambda p: f"({p[0]} or {p[1]})"), b.map(lambda x: f"not ({x})")),
    max_leaves=5)


def _compiles_or_engine_error(text: str):
    """The compiled expression, or None after checking the errors are the engine's, placed."""
    try:
        return compile_expression(text)
    except ErrorList as errors:
        assert errors.errors
        for error in errors.errors:
            assert isinstance(error, EngineError)
            assert error.location is not None and 1 <= error.location.column <= len(text) + 1, error.render()
        return None


@BOUNDED
@given(EXPRESSIONS)
def test_grammar_expressions_compile_or_raise_placed_engine_errors(text):
    _compiles_or_engine_error(text)


@BOUNDED
@given(st.text(alphabet=string.printable + "“”é\u00a0\x00", max_size=80))
def test_random_strings_compile_or_raise_placed_engine_errors(text):
    _compiles_or_engine_error(text)


# -- generated cases -------------------------------------------------------------------------------
DATES = st.dates(min_value=_dt.date(1, 1, 1), max_value=_dt.date(9999, 12, 31)).map(_dt.date.isoformat)
COUNTS = st.one_of(st.integers(0, 200), st.integers(0, 10 ** 30))
NUMBERS = st.one_of(COUNTS, st.floats(0, 1e300, allow_nan=False, allow_infinity=False))
SCORES = st.integers(0, 10)
CONCEPTS = sorted(VOCAB.findings)
PARTS = sorted(VOCAB.ids("body_part"))
SIDES = st.sampled_from(["left", "right", "bilateral"])


def _fact(values):
    return st.one_of(values, values.map(lambda v: {"value": v, "evidence": {"quote": "q"}}))


def _optional(**fields):
    """A dict strategy where every field may be left out."""
    return st.fixed_dictionaries({}, optional=fields)


STATEMENT = _optional(body_parts=st.lists(st.sampled_from(PARTS), min_size=1, max_size=2), side=SIDES)
FINDING = st.builds(lambda status, extra, mentions: dict(status=status, **extra,
                                                         **({"mentions": mentions} if mentions else {})),
                    st.sampled_from(["present", "absent", "not_documented"]), STATEMENT,
                    st.lists(st.builds(lambda s, e: dict(status=s, **e),
                                       st.sampled_from(["present", "absent", "not_documented"]), STATEMENT),
                             max_size=2))
FINDINGS = st.dictionaries(st.sampled_from(CONCEPTS), FINDING, max_size=6)
DRUG = st.builds(lambda generic, extra: dict(name="x", generic=generic, drug_class=VOCAB.generics[generic], **extra),
                 st.sampled_from(sorted(VOCAB.generics)), _optional(strength_mg=NUMBERS))
REQUEST = st.builds(
    lambda kind, extra: dict(text="item", kind=kind, **extra),
    st.sampled_from(["drug", "injection", "imaging", "physical_therapy", "other"]),
    _optional(drug=DRUG, quantity=COUNTS, refills=COUNTS, days_supply=NUMBERS, doses_per_day=NUMBERS,
              visits=COUNTS, prior_use_weeks=_fact(NUMBERS), prior_visits=_fact(COUNTS), date_of_service=DATES,
              body_part=st.sampled_from(PARTS), body_parts=st.lists(st.sampled_from(PARTS), min_size=1, max_size=2),
              side=SIDES, findings=FINDINGS))
CASES = _optional(
    patient=_optional(age=_fact(st.integers(0, 10 ** 20)), sex=st.sampled_from(["male", "female"])),
    injury=_optional(date=_fact(DATES), body_parts=st.lists(st.sampled_from(PARTS), max_size=2)),
    letter=_optional(ur_denial_date=_fact(DATES), decision_date=DATES),
    pain=_optional(current=_fact(SCORES), with_meds=_fact(SCORES), without_meds=_fact(SCORES)),
    medications=st.lists(st.builds(lambda generic, extra: dict(name="m", generic=generic, **extra),
                                   st.sampled_from(sorted(VOCAB.generics)),
                                   _optional(drug_class=st.sampled_from(sorted(VOCAB.drug_classes)),
                                             status=st.sampled_from(["current", "past"]), since=_fact(DATES),
                                             duration_weeks=_fact(NUMBERS))), max_size=3),
    diagnoses=st.lists(st.builds(lambda tags: {"text": "dx", "tags": tags},
                                 st.lists(st.sampled_from(sorted(VOCAB.ids("diagnosis_tag"))), max_size=2)),
                       max_size=2),
    treatments=st.lists(st.builds(lambda count: {"kind": "physical_therapy", "count": count}, COUNTS), max_size=2),
    findings=FINDINGS,
).flatmap(lambda case: st.lists(REQUEST, min_size=1, max_size=2).map(lambda requests: dict(case, requests=requests)))

TYPED = [
    'request.drug.drug_class == "opioid" and request.quantity > 90',
    "request.refills > 0 or request.days_supply > 3 weeks or request.prior_use_weeks > 3 weeks",
    "findings.pain_relief or pain.with_meds < pain.without_meds",
    "not findings.aberrant_behavior or (findings.uds_consistent and not known(findings.aberrant_behavior))",
    "request.date_of_service - injury.date > 2 years",
    "injury.date + 999999 years > request.date_of_service",
    "request.date_of_service - 99999999 days < injury.date",
    "patient.age * 1000000000000 > 5 years",
    "request.quantity * request.refills * request.days_supply / request.doses_per_day >= 1 day",
    "pct_drop(pain.without_meds, pain.with_meds) >= 30",
    "in_weeks(request.days_supply) > 2",
    "daily_med(request) > 120 mg MED",
    "count(m in medications: m.drug_class == \"opioid\") >= 2",
    "any(m in medications: m.since + m.duration_weeks < request.date_of_service)",
    "all(t in treatments: t.count * 3 < 10)",
    "max(request.quantity, request.refills, request.visits) >= min(request.quantity, 1)",
    'any(d in diagnoses: "neuropathic" in d.tags)',
    '"knee" in request.body_parts',
    "abs(request.prior_use_weeks - 100000000000 weeks) > 1 day",
    "-request.quantity < request.refills / 0",
]
COMPILED = [compile_expression(text) for text in TYPED]


@BOUNDED
@given(CASES, st.lists(st.one_of(TYPED_BOOL, EXPRESSIONS), max_size=4))
def test_compiled_expressions_never_raise_on_generated_cases(data, generated):
    case = case_from_dict(data)
    expressions = COMPILED + [e for e in map(_compiles_or_engine_error, generated) if e is not None]
    for index in range(len(case.requests)):
        for expression in expressions:
            fast = expression.evaluate(case, index)
            trace: list = []
            traced = expression.evaluate(case, index, trace=trace)
            assert fast is traced or fast == traced, (expression.text, fast, traced)
            if isinstance(fast, float):
                assert fast - fast == 0.0, expression.text        # never inf or nan
    render_case(decide_case(RULES, case))


# -- by example --------------------------------------------------------------------------------------
def _case(**parts) -> object:
    data = {"injury": {"date": "2012-02-23"},
            "requests": [{"text": "Norco", "kind": "drug", "date_of_service": "9999-12-01", "quantity": 10 ** 20,
                          "days_supply": 1e300, "doses_per_day": 1e300,
                          "drug": {"name": "Norco", "generic": "hydrocodone/acetaminophen", "drug_class": "opioid",
                                   "strength_mg": 1e300}}]}
    data.update(parts)
    return case_from_dict(data)


@pytest.mark.parametrize("text", [
    "injury.date + 999999 years",
    "injury.date - 999999 years",
    "request.date_of_service + 60 days",
    "daily_med(request)",
    "request.days_supply * request.doses_per_day * 1000000000",
    "request.quantity * 1.5 * request.days_supply",
    "pct_drop(" + " * ".join(["request.quantity"] * 16) + ", 1)",      # an int past float range
    "in_weeks(request.days_supply * 10000000000.0)",
])
def test_overflow_is_unknown(text):
    assert compile_expression(text).evaluate(_case()) is UNKNOWN


def test_overflow_in_a_comparison_is_unknown_and_the_trace_names_the_facts():
    trace: list = []
    value = compile_expression("injury.date + 999999 years > request.date_of_service").evaluate(_case(), trace=trace)
    assert value is UNKNOWN
    assert [(r.path, r.value) for r in trace] == [("injury.date", "2012-02-23")]


def test_mtus_eval_of_an_overflowing_date(tmp_path):
    """GIVEN a case WHEN `mtus eval 'injury.date + 999999 years'` THEN unknown, exit 0 (no internal error)."""
    out, err = io.StringIO(), io.StringIO()
    assert run(["eval", "injury.date + 999999 years", str(ROOT / "examples" / "cases" / "seed-000-norco.json")],
               out, err) == 0
    assert out.getvalue().splitlines()[0] == "unknown" and err.getvalue() == ""


@pytest.mark.parametrize("env", [{}, {"request": {}}, None, [], "request", {"__reads__": None}, {"findings"}])
def test_evaluate_env_on_something_else_is_an_engine_error(env):
    expression = compile_expression("findings.pain_relief")
    with pytest.raises(EvalError) as caught:
        expression.evaluate_env(env)
    assert caught.value.code == "not_an_environment" and "Case.environment" in caught.value.message


def test_evaluate_env_on_an_environment():
    case = _case(findings={"pain_relief": {"status": "present"}})
    assert compile_expression("findings.pain_relief").evaluate_env(case.environment(0)) is True


def test_evaluate_on_something_else_is_an_engine_error():
    expression = compile_expression("findings.pain_relief")
    with pytest.raises(EvalError) as caught:
        expression.evaluate({"requests": []})
    assert caught.value.code == "not_a_case"
    with pytest.raises(EvalError) as caught:
        expression.evaluate(_case(), 3)
    assert caught.value.code == "no_such_request"


@pytest.mark.parametrize("text, column, message", [
    ("not " * (MAX_DEPTH + 5) + "true", 4 * MAX_DEPTH + 1, "nests more than"),
    ("1" + " + 1" * 300 + " > 2", 1, "nests more than"),
    ("patient.age > " + "9" * 400 + " years", 15, "a number of more than 20 characters"),
    ("pain.current > 1" + "1" * 400 + ".5", 16, "a number of more than 20 characters"),
])
def test_absurd_conditions_are_refused_with_a_column(text, column, message):
    with pytest.raises(ErrorList) as caught:
        compile_expression(text)
    [error] = caught.value.errors
    assert error.code == "condition_syntax_error" and message in error.message
    assert error.location.column == column


# -- letters that are not letters ----------------------------------------------------------------------
def _pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(612, 792)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def test_bad_letters_go_to_errors_and_the_batch_goes_on(tmp_path):
    """Truncated, binary, enormous and malformed letters each give an error line; the good
    letters around them are audited."""
    import json
    import random

    from engine.audit import run_audit
    from engine.extraction import reader

    folder = tmp_path / "letters"
    folder.mkdir()
    seed = ROOT / "examples" / "letters" / "000_83b90a26cef0192d.txt"
    pdf = (ROOT / "tests" / "fixtures" / "seed-000-as-pdf.pdf").read_bytes()
    (folder / "a-good.txt").write_bytes(seed.read_bytes())
    (folder / "b-truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "c-binary.pdf").write_bytes(bytes(random.Random(1).randrange(256) for _ in range(4000)))
    (folder / "d-malformed.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n" + b"\x00\xff" * 500)
    with open(folder / "e-enormous.txt", "wb") as handle:      # sparse: no disk used, refused unread
        handle.truncate(reader.MAX_LETTER_BYTES + 1)
    (folder / "f-long.txt").write_text("Clinical case summary " * (reader.MAX_LETTER_CHARS // 22 + 10))
    (folder / "g-many-pages.pdf").write_bytes(_pdf(reader.MAX_PDF_PAGES + 1))
    (folder / "h-blank.pdf").write_bytes(_pdf(2))
    (folder / "i-good.pdf").write_bytes(pdf)
    run = run_audit([str(folder)], tmp_path / "out", jobs=1, progress="none", rules=RULES)
    assert run.letters_done == 9
    errors = {Path(e["letter"]).name: e["code"]
              for e in map(json.loads, (tmp_path / "out" / "errors.jsonl").read_text().splitlines())}
    assert errors == {"b-truncated.pdf": "letter_unreadable", "c-binary.pdf": "letter_unreadable",
                      "d-malformed.pdf": "letter_unreadable", "e-enormous.txt": "letter_too_large",
                      "f-long.txt": "letter_too_large", "g-many-pages.pdf": "letter_too_large",
                      "h-blank.pdf": "letter_empty"}
    items = [json.loads(line) for line in (tmp_path / "out" / "items.jsonl").read_text().splitlines()]
    assert {Path(i["letter"]).name for i in items} == {"a-good.txt", "i-good.pdf"}
