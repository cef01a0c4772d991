"""Runs the `tests:` of every rule and measures which criteria the tests exercise.

Input: a RuleSet. Output: `TestReport` with one `TestResult` (PASS, FAIL, ERROR) per test,
and coverage: for each criterion, which results (met, unmet, unknown) some test produced,
and for each rule, which statuses (holds, fails, unknown). A criterion counts as covered
when tests saw it met and saw it not met (unmet or unknown). A rule is fully tested when
some test makes it hold, some test makes it fail, and some test leaves a fact it reads
unknown.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import dependencies
from .case import Case
from .evaluator import _request_date, decide, evaluate_request, evaluate_rule
from .loader import RuleSet
from .precedence import set_aside
from .rules import Rule, RuleTest


@dataclass
class TestResult:
    rule: Rule
    test: RuleTest
    outcome: str                # PASS | FAIL | ERROR
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        loc = self.test.location
        return {"rule": self.rule.id, "test": self.test.name, "outcome": self.outcome, "problems": self.problems,
                "file": loc.file, "line": loc.line}


@dataclass
class TestReport:
    results: list[TestResult]
    criteria_seen: dict[tuple[str, str], set]     # (rule id, criterion id) -> results seen
    statuses_seen: dict[str, set]                 # rule id -> statuses seen

    @property
    def failed(self) -> list[TestResult]:
        return [r for r in self.results if r.outcome != "PASS"]

    def uncovered_criteria(self) -> list[tuple[str, str, list[str]]]:
        out = []
        for (rule_id, criterion_id), seen in sorted(self.criteria_seen.items()):
            lacking = [] if "met" in seen else ["met"]
            if not seen & {"unmet", "unknown"}:
                lacking.append("unmet or unknown")
            if lacking:
                out.append((rule_id, criterion_id, lacking))
        return out

    def rules_lacking_tests(self) -> list[tuple[str, list[str]]]:
        out = []
        for rule_id, seen in sorted(self.statuses_seen.items()):
            lacking = [s for s in ("holds", "fails", "unknown fact") if s not in seen]
            if lacking:
                out.append((rule_id, lacking))
        return out

    @property
    def criterion_coverage(self) -> float:
        total = len(self.criteria_seen)
        if not total:
            return 1.0
        return (total - len(self.uncovered_criteria())) / total

    def as_dict(self) -> dict:
        return {
            "tests": len(self.results), "passed": len(self.results) - len(self.failed), "failed": len(self.failed),
            "results": [r.as_dict() for r in self.results],
            "criterion_coverage": round(self.criterion_coverage, 4),
            "uncovered_criteria": [{"rule": r, "criterion": c, "never": lacking} for r, c, lacking in self.uncovered_criteria()],
            "rules_lacking_tests": [{"rule": r, "never": lacking} for r, lacking in self.rules_lacking_tests()],
        }


def run_rule_test(rule: Rule, test: RuleTest, rules: RuleSet) -> tuple[TestResult, object]:
    problems = []
    try:
        case = Case(test.case)
        context = _context(rules, case, test.request, test.index_outcome)
        env = case.environment(test.request)
        env.update(context)
        result = evaluate_rule(rule, env)
        expect = test.expect
        if "rule" in expect and result.status != expect["rule"]:
            problems.append(f"rule {expect['rule']} expected, got {result.status}")
        got = dict(result.results())
        for criterion_id, want in (expect.get("criteria") or {}).items():
            have = got.get(criterion_id, "not evaluated")
            if have != want:
                problems.append(f"criterion {criterion_id}: {want} expected, got {have}")
        if "outcome" in expect:
            pack_rules = rule.pack.rules if rule.pack else [rule]
            results = []
            for r in pack_rules:
                env = case.environment(test.request)
                env.update(context)
                results.append(evaluate_rule(r, env))
            kept, _ = set_aside([r for r in results if r.status != "not_applicable"])
            outcome, _, _ = decide(kept)
            if outcome != expect["outcome"]:
                problems.append(f"outcome {expect['outcome']} expected, got {outcome}")
    except Exception as err:  # a test must never stop the run; report it as an error
        return TestResult(rule, test, "ERROR", [f"{type(err).__name__}: {err}"]), None
    return TestResult(rule, test, "FAIL" if problems else "PASS", problems), result


def _context(rules: RuleSet, case: Case, position: int, assumed: str | None) -> dict:
    """What the request under test reads of the procedure it depends on: the index decided with
    all loaded rules (its own indexes first), or with the decision the test assumes."""
    plan = dependencies.plan(case)
    outcomes: dict[int, str] = {}
    if assumed is None:
        for i in reversed(plan.ancestors(position)):
            context = dependencies.context(case, i, plan, outcomes, _request_date(case, i)[0])
            outcomes[i] = evaluate_request(rules, case, i, context)["outcome"]
    return dependencies.context(case, position, plan, outcomes, _request_date(case, position)[0], assumed)


def run_tests(rules: RuleSet, select=None) -> TestReport:
    """Run every rule's tests (or those of rules for which `select(rule)` is true)."""
    results = []
    criteria_seen: dict[tuple[str, str], set] = {}
    statuses_seen: dict[str, set] = {}
    for rule in rules.rules:
        if select is not None and not select(rule):
            continue
        statuses_seen[rule.id] = set()
        for criterion in rule.criteria:
            criteria_seen[(rule.id, criterion.id)] = set()
        for test in rule.tests:
            if test.name.startswith("todo_"):
                continue
            outcome, evaluated = run_rule_test(rule, test, rules)
            results.append(outcome)
            if evaluated is None:
                continue
            statuses_seen[rule.id].add(evaluated.status)
            if evaluated.has_unknown_fact():
                statuses_seen[rule.id].add("unknown fact")
            for criterion_id, got in evaluated.results():
                criteria_seen[(rule.id, criterion_id)].add(got)
    return TestReport(results, criteria_seen, statuses_seen)
