"""mtus-engine: check workers' compensation treatment requests against the MTUS guidelines.

The public API, in the order of the flow:

    rules = load_rules()                    # load, check and compile the shipped packs once
    case = load_case("case.json")           # or validate_case(dict) / case_from_dict(dict)
    result = evaluate(rules, case)          # a determination per request, with traces
    record = decide(rules, case)            # the same decisions as a compact record (no JSON built)
    facts = read_text("Straight leg raise is positive on the left.")   # the facts of any clinical text
    expr = compile_expression("pain.without_meds >= 7")
    expr.evaluate(case)                     # one DSL expression against a case
"""
__version__ = "0.1.0"

from .api import CompiledExpression, compile_expression, decide, evaluate, read_text  # noqa: E402
from .case import Case, CaseInvalid, case_from_dict, load_case, validate_case  # noqa: E402
from .errors import CaseError, EngineError, ErrorList, RuleError  # noqa: E402
from .loader import RuleSet, load_rules  # noqa: E402
from .values import UNKNOWN  # noqa: E402

__all__ = [
    "load_rules", "RuleSet", "load_case", "case_from_dict", "validate_case", "Case", "evaluate", "decide",
    "compile_expression", "CompiledExpression", "read_text", "UNKNOWN",
    "EngineError", "RuleError", "CaseError", "CaseInvalid", "ErrorList", "__version__",
]
