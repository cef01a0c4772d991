"""The `mtus` command: thin wrappers over the API that return exit codes.

Exit codes (docs/cli.md; `audit` in docs/audit.md):
  0  success
  1  rule tests failed (`mtus rules test`)
  2  usage error (unknown command or option)
  3  invalid input: a case or letter that is missing, unreadable or invalid
  4  rule errors: a rules or vocabulary file with problems (`mtus rules lint`, or any command loading them)
  5  internal error (a bug: please report it)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_TESTS_FAILED, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_RULE_ERRORS, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5
LETTER_SUFFIXES = {".txt", ".pdf"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mtus", description="Check treatment requests against the MTUS guidelines and predict IMR decisions.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="decide each request of a case JSON or an IMR letter (.txt/.pdf)")
    check.add_argument("inputs", nargs="+", metavar="CASE_OR_LETTER")
    check.add_argument("--json", action="store_true", help="print the determination JSON")
    check.add_argument("--mode", choices=["summary", "full"], default="full",
                       help="for letters: read facts from the case summary only, or also from each item's rationale (default: full)")
    check.add_argument("--explain", choices=["fails", "full"], default="fails",
                       help="text output: show only criteria not met (default) or every criterion and fact")
    check.add_argument("--rules", metavar="DIR", help="rules folder (default: the shipped packs)")

    extract = sub.add_parser("extract", help="turn an IMR letter into case JSON")
    extract.add_argument("letter")
    extract.add_argument("--mode", choices=["summary", "full"], default="full")
    extract.add_argument("-o", "--output", metavar="CASE.json", help="write the case here instead of printing it")

    read = sub.add_parser("read", help="print the facts of a clinical passage (any text, not only IMR letters) as JSON")
    read.add_argument("file", metavar="FILE", help="a .txt or .pdf file, or - for standard input")
    read.add_argument("--section", choices=["summary", "rationale"], default="summary",
                      help="read it as a record of the patient (default) or as a reviewer's rationale")

    pre = sub.add_parser("precheck", help="pre-check the requests of a progress report (.txt/.pdf) against the guidelines")
    pre.add_argument("report", metavar="REPORT", help="a progress report, .txt or .pdf")
    pre.add_argument("--request", action="append", metavar="TEXT",
                     help="a requested item as written (repeatable); default: the report's own request lines")
    pre.add_argument("--date-of-service", metavar="DATE",
                     help="the date of service (YYYY-MM-DD or MM/DD/YYYY); default: the report's labelled date")
    pre.add_argument("--json", action="store_true", help="print the determination JSON")
    pre.add_argument("--rules", metavar="DIR", help="rules folder (default: the shipped packs)")

    serve = sub.add_parser("serve", help="run the HTTP service: JSON API, CDS Hooks and the pre-check page (extra [serve])")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                       help="largest request body accepted (default 1048576)")

    validate = sub.add_parser("validate", help="validate a case JSON against the case schema")
    validate.add_argument("cases", nargs="+", metavar="CASE.json")

    expr = sub.add_parser("eval", help="evaluate one condition-language expression against a case")
    expr.add_argument("expression")
    expr.add_argument("case", nargs="?", metavar="CASE.json", help="case to evaluate against (default: parse and check only)")
    expr.add_argument("--request", type=int, default=0, help="index of the request under decision (default 0)")

    from .audit.command import configure as configure_audit
    configure_audit(sub)

    rules = sub.add_parser("rules", help="work with rule packs")
    rules_sub = rules.add_subparsers(dest="rules_command", parser_class=_Parser)
    lint = rules_sub.add_parser("lint", help="check rule files and report every problem")
    lint.add_argument("path", nargs="?", help="rules folder or file (default: the shipped packs)")
    lint.add_argument("--max-errors", type=int, default=None, help="show at most N errors")
    test = rules_sub.add_parser("test", help="run every rule's own tests and report criterion coverage")
    test.add_argument("path", nargs="?", help="rules folder or file (default: the shipped packs)")
    test.add_argument("--json", action="store_true", help="print the report as JSON")
    test.add_argument("-v", "--verbose", action="store_true", help="list every test")
    test.add_argument("--run", metavar="TEXT", help="only rules whose id contains TEXT")
    coverage = rules_sub.add_parser("coverage", help="list guideline sections and their rules; with letters, the share of items covered")
    coverage.add_argument("path", nargs="?", help="rules folder (default: the shipped packs)")
    coverage.add_argument("--letters", nargs="+", metavar="LETTER_OR_DIR", help="letters (.txt/.pdf) or folders of them")
    coverage.add_argument("--mode", choices=["summary", "full"], default="summary")
    coverage.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run(argv, sys.stdout, sys.stderr)


def run(argv, stdout, stderr) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.version:
        from . import __version__
        print(f"mtus-engine {__version__}", file=stdout)
        return EXIT_OK
    handlers = {"check": _check, "extract": _extract, "validate": _validate, "eval": _eval, "rules": _rules,
                "audit": _audit, "read": _read, "precheck": _precheck, "serve": _serve}
    if args.command not in handlers:
        parser.print_help(stdout)
        return EXIT_USAGE
    try:
        return handlers[args.command](args, stdout, stderr)
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # last resort: no traceback for users, but a clear report
        print(f"mtus: internal error: {type(err).__name__}: {err} (please report this)", file=stderr)
        return EXIT_INTERNAL


def _load_rules(path, stderr):
    from .errors import ErrorList
    from .loader import load_rules
    try:
        return load_rules(path)
    except ErrorList as errors:
        print(errors.render(), file=stderr)
        return None


def _is_letter(path: str) -> bool:
    return Path(path).suffix.lower() in LETTER_SUFFIXES


def _case_from_input(path: str, mode: str):
    """A validated Case from a case JSON or a letter. Raises EngineError / LetterError."""
    from .case import case_from_dict, load_case
    from .source import display_path
    if _is_letter(path):
        from .extraction import extract_case
        data = extract_case(path, mode=mode)
        return case_from_dict(data, file=display_path(path))
    return load_case(path)


def _input_error(err) -> str:
    render = getattr(err, "render", None)
    return render() if render else str(err)


def _check(args, stdout, stderr) -> int:
    from .errors import EngineError
    from .evaluator import decide_case, render_case
    from .report import compare, render_text, to_json
    rules = _load_rules(args.rules, stderr)
    if rules is None:
        return EXIT_RULE_ERRORS
    status = EXIT_OK
    documents = []
    for path in args.inputs:
        try:
            case = _case_from_input(path, args.mode)
        except (EngineError, ValueError, OSError) as err:
            print(_input_error(err), file=stderr)
            status = EXIT_BAD_INPUT
            continue
        record = decide_case(rules, case)
        reviewer = case.reviewer
        if args.json:
            document = render_case(record)
            if reviewer:
                for d in document["determinations"]:
                    comparison = compare(d, reviewer.get(d["request_id"]))
                    if comparison:
                        d["comparison"] = comparison
            document = {"input": case.file, **document}
            documents.append(document)
        else:
            stdout.write(render_text(record, reviewer, explain=args.explain, title=case.file))
    if args.json:
        stdout.write(to_json(documents[0] if len(documents) == 1 else documents))
    return status


def _audit(args, stdout, stderr) -> int:
    from .audit.command import run as run_audit
    return run_audit(args, stdout, stderr)


def _extract(args, stdout, stderr) -> int:
    from .errors import EngineError
    from .extraction import extract_case
    from .report import to_json
    try:
        data = extract_case(args.letter, mode=args.mode)
    except (EngineError, ValueError, OSError) as err:
        print(_input_error(err), file=stderr)
        return EXIT_BAD_INPUT
    text = to_json(data)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        stdout.write(text)
    return EXIT_OK


def _read(args, stdout, stderr) -> int:
    from .extraction import LetterError, read_text
    from .extraction.reader import normalise_text, read_letter
    from .report import to_json
    if args.file == "-":
        text = normalise_text(sys.stdin.read())
    else:
        try:
            text = read_letter(args.file)
        except LetterError as err:
            print(_input_error(err), file=stderr)
            return EXIT_BAD_INPUT
    stdout.write(to_json(read_text(text, section=args.section)))
    return EXIT_OK


def _precheck(args, stdout, stderr) -> int:
    from .errors import EngineError
    from .extraction import LetterError, read_letter
    from .extraction.letter import parse_date
    from .precheck import precheck, render_precheck
    from .report import to_json
    from .source import display_path
    day = None
    if args.date_of_service:
        day = parse_date(args.date_of_service) if "/" in args.date_of_service else args.date_of_service
        try:
            import datetime as _dt
            _dt.date.fromisoformat(day or "")
        except ValueError:
            print(f"mtus precheck: error: --date-of-service {args.date_of_service!r} is not a date "
                  "(YYYY-MM-DD or MM/DD/YYYY)", file=stderr)
            return EXIT_USAGE
    rules = _load_rules(args.rules, stderr)
    if rules is None:
        return EXIT_RULE_ERRORS
    try:
        text = read_letter(args.report)
    except LetterError as err:
        print(_input_error(err), file=stderr)
        return EXIT_BAD_INPUT
    name = display_path(args.report)
    try:
        _, document = precheck(rules, text, args.request, date_of_service=day, case_id=Path(args.report).stem)
    except EngineError as err:
        print(f"{name}: {err.code}: {err.message}", file=stderr)
        return EXIT_BAD_INPUT
    if args.json:
        stdout.write(to_json({"input": name, **document}))
    else:
        stdout.write(render_precheck(document, title=name))
    return EXIT_OK


def _serve(args, stdout, stderr) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401

        from .service.server import serve
    except ImportError as err:
        print(f"mtus serve: the [serve] extra is not installed ({err.name or err}): "
              "python -m pip install 'mtus-engine[serve]' (from a checkout: pip install '.[serve]')", file=stderr)
        return EXIT_USAGE
    return serve(host=args.host, port=args.port, workers=args.workers, max_body=args.max_body, stderr=stderr)


def _validate(args, stdout, stderr) -> int:
    from .case import load_case
    from .errors import EngineError
    status = EXIT_OK
    for path in args.cases:
        try:
            load_case(path)
            print(f"{path}: valid", file=stdout)
        except EngineError as err:
            print(_input_error(err), file=stderr)
            status = EXIT_BAD_INPUT
    return status


def _eval(args, stdout, stderr) -> int:
    from .api import compile_expression
    from .case import load_case
    from .errors import EngineError, ErrorList
    from .evaluator import _fact
    from .values import show
    try:
        expression = compile_expression(args.expression)
    except ErrorList as errors:
        print(errors.render(), file=stderr)
        return EXIT_RULE_ERRORS
    if not args.case:
        print(f"ok: {expression.type}", file=stdout)
        return EXIT_OK
    try:
        case = load_case(args.case)
    except EngineError as err:
        print(_input_error(err), file=stderr)
        return EXIT_BAD_INPUT
    if not 0 <= args.request < len(case.requests):
        print(f"{args.case}: the case has no request {args.request}", file=stderr)
        return EXIT_BAD_INPUT
    trace = []
    value = expression.evaluate(case, args.request, trace=trace)
    print(show(value), file=stdout)
    for read in trace:
        fact = _fact(read)
        print(f"  {fact['path']} = {fact.get('status', fact['value'])}", file=stdout)
    return EXIT_OK


def _rules(args, stdout, stderr) -> int:
    if args.rules_command == "lint":
        return _lint(args, stdout, stderr)
    if args.rules_command == "test":
        return _test(args, stdout, stderr)
    if args.rules_command == "coverage":
        return _coverage(args, stdout, stderr)
    print("usage: mtus rules {lint,test,coverage} [PATH]", file=stderr)
    return EXIT_USAGE


def _lint(args, stdout, stderr) -> int:
    from .errors import ErrorList
    from .loader import load_rules
    from .ruletest import run_tests
    try:
        rules = load_rules(args.path)
    except ErrorList as errors:
        print(errors.render(args.max_errors), file=stderr)
        return EXIT_RULE_ERRORS
    report = run_tests(rules)
    lacking = report.rules_lacking_tests()
    for rule_id, missing in lacking:
        rule = rules.rule(rule_id)
        print(f"{rule.location}: missing_test: rule {rule_id} has no test where it "
              + " / ".join(m if m != "unknown fact" else "reads an unknown fact" for m in missing), file=stderr)
    if lacking:
        print(f"{len(lacking)} error{'s' if len(lacking) != 1 else ''}", file=stderr)
        return EXIT_RULE_ERRORS
    print(f"ok: {len(rules.rules)} rules in {len(rules.packs)} pack{'s' if len(rules.packs) != 1 else ''}", file=stdout)
    return EXIT_OK


def _test(args, stdout, stderr) -> int:
    from .ruletest import run_tests
    rules = _load_rules(args.path, stderr)
    if rules is None:
        return EXIT_RULE_ERRORS
    select = (lambda rule: args.run in rule.id) if args.run else None
    report = run_tests(rules, select)
    if args.json:
        stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        for result in report.results:
            if args.verbose or result.outcome != "PASS":
                loc = result.test.location
                stdout.write(f"{result.outcome} {loc.file}:{loc.line} {result.rule.id}: {result.test.name}\n")
                for problem in result.problems:
                    stdout.write(f"     {problem}\n")
        uncovered = report.uncovered_criteria()
        stdout.write(f"criterion coverage: {report.criterion_coverage:.0%} "
                     f"({len(report.criteria_seen) - len(uncovered)} of {len(report.criteria_seen)} criteria seen met and not met)\n")
        for rule_id, criterion_id, lacking in uncovered:
            stdout.write(f"  not exercised: {rule_id} / {criterion_id}: never {', '.join(lacking)}\n")
        for rule_id, lacking in report.rules_lacking_tests():
            stdout.write(f"  rule {rule_id}: no test where it {' / '.join(lacking)}\n")
        failed = len(report.failed)
        stdout.write(f"{len(report.results) - failed} passed, {failed} failed\n")
    return EXIT_TESTS_FAILED if report.failed else EXIT_OK


def _coverage(args, stdout, stderr) -> int:
    from .coverage import item_coverage, sections
    rules = _load_rules(args.path, stderr)
    if rules is None:
        return EXIT_RULE_ERRORS
    table = sections(rules)
    items = item_coverage(rules, args.letters, args.mode) if args.letters else None
    if args.json:
        stdout.write(json.dumps({"sections": table, "items": items}, indent=2) + "\n")
        return EXIT_OK
    current = None
    for row in table:
        if row["pack"] != current:
            current = row["pack"]
            stdout.write(f"{current}\n")
        pages = f" (p. {row['pages']})" if row["pages"] else ""
        stdout.write(f"  {row['section']}{pages}: {len(row['rules'])} rule{'s' if len(row['rules']) != 1 else ''}\n")
        for rule_id in row["rules"]:
            stdout.write(f"    {rule_id}\n")
    if items is not None:
        share = f"{items['share']:.0%}" if items["share"] is not None else "n/a"
        stdout.write(f"\nitems covered: {items['covered']} of {items['items']} ({share}), mode {args.mode}\n")
        for group, row in items["by_group"].items():
            stdout.write(f"  {group}: {row['covered']} of {row['items']} ({row['share']:.0%})\n")
        for error in items["errors"]:
            stderr.write(f"{error['letter']}: {error['error']}\n")
        if items["errors"]:
            return EXIT_BAD_INPUT
    return EXIT_OK
