"""Small conveniences behind the public API: decide or evaluate a case, compile one expression."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import parser as dsl_parser
from .case import Case
from .checker import Checker
from .errors import ConditionSyntaxError, ErrorList, EvalError, RuleError
from .evaluator import CaseRecord, decide_case, evaluate_case
from .loader import RuleSet
from .source import Location
from .vocab import Vocabularies, default_vocabularies


def read_text(text: str, section: str = "summary") -> dict:
    """The facts of a clinical passage (a progress report, a note, a paragraph of a letter), in
    the shapes of the case format: findings with status, evidence, body parts and side; pain;
    medications; treatment courses; diagnoses (docs/extraction.md). `section` is "summary" (a
    record of the patient) or "rationale" (a reviewer's reasoning: findings and medications).
    The reader loads its vocabularies on first use."""
    from .extraction.reading import read_text as _read_text
    return _read_text(text, section=section)


def evaluate(rules: RuleSet, case: Case) -> dict:
    """Decide every request of `case` with `rules`; returns the determination document."""
    return evaluate_case(rules, case)


def decide(rules: RuleSet, case: Case) -> CaseRecord:
    """Decide every request of `case` with `rules`, into the compact record: outcomes, criterion
    ids and the complete trace, with no JSON built (`.render()` gives `evaluate`'s document)."""
    return decide_case(rules, case)


@dataclass
class CompiledExpression:
    """One condition-language expression, parsed, checked and compiled once.

    `function(env)` is the traced closure (it records reads when env["__reads__"] is a list);
    `evaluate_env(env)` is the value against a prepared environment (`Case.environment(i)`):
    the fast path, the untraced closure behind one check that `env` is an environment (anything
    else raises `EvalError`, code `not_an_environment`).
    """

    text: str
    type: str
    function: object
    evaluate_env: Callable = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        self.evaluate_env = _checked(self.evaluate_env or self.function)

    def evaluate(self, case: Case, request: int = 0, *, trace: list | None = None):
        """The value against `case` (deciding request number `request`); UNKNOWN if facts are missing."""
        if not isinstance(case, Case):
            raise EvalError(f"evaluate() expects a Case (engine.case_from_dict or load_case), got {type(case).__name__}",
                            code="not_a_case")
        if type(request) is not int or not 0 <= request < len(case.requests):
            raise EvalError(f"the case has no request {request!r} (it has {len(case.requests)})", code="no_such_request")
        env = case.environment(request)
        if trace is None:
            return self.evaluate_env(env)
        env["__reads__"] = trace
        return self.function(env)


def _checked(function: Callable) -> Callable:
    """`function(env)` for environments only: one test of the argument, then the closure."""
    def evaluate_env(env):
        if type(env) is dict and "findings" in env:
            return function(env)
        raise EvalError("evaluate_env expects an environment made by Case.environment(index), "
                        f"not {type(env).__name__}" + (" (a dict, but not an environment)" if type(env) is dict else ""),
                        code="not_an_environment")
    return evaluate_env


def compile_expression(text: str, vocab: Vocabularies | None = None) -> CompiledExpression:
    """Parse, check and compile `text`. Raises ErrorList naming the column of each problem."""
    from .compiler import compile_condition, compile_untraced
    vocab = vocab or default_vocabularies()
    errors = ErrorList()
    try:
        tree = dsl_parser.parse(text)
    except dsl_parser.ParseFailure as failure:
        errors.add(ConditionSyntaxError(failure.message, location=Location("<expression>", 1, failure.offset + 1),
                                        source_line=text))
        raise errors from None
    checker = Checker(vocab)
    t = checker.check_expression(tree)
    for problem in checker.problems:
        errors.add(RuleError(problem.message, code=problem.code, location=Location("<expression>", 1, problem.span[0] + 1),
                             source_line=text, hint=problem.hint))
    if errors:
        raise errors
    compiled = compile_condition(tree, checker.types, vocab)
    return CompiledExpression(text, t.describe(), compiled, compile_untraced(tree, checker.types, vocab))
