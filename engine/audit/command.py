"""`mtus audit`: the command-line face of the audit (wired into engine/cli.py by `configure`/`run`).

    mtus audit PATH... [--mode summary|full|both] [--out DIR] [--jobs N] [--rules DIR]
                       [--resume | --no-resume] [--progress auto|bar|lines|none] [--quiet]

Exit codes (those of engine/cli.py):
  0    the reports were written (letters that could not be read are listed in errors.jsonl)
  2    usage: bad options, or --out holds an audit made with other settings (use --no-resume)
  3    no letter at all was found under the PATHs (the reports are still written, empty), or
       the --out folder cannot be written
  4    the rules have errors
  130  interrupted: what was finished is saved; the same command resumes
"""
from __future__ import annotations

import argparse
import os

EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_RULE_ERRORS, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
DEFAULT_OUT = "audit-out"


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--jobs must be 1 or more")
    return value


def configure(subparsers) -> argparse.ArgumentParser:
    """Add the `audit` subcommand and its options to `subparsers` (from add_subparsers)."""
    audit = subparsers.add_parser(
        "audit", help="run IMR letters through the engine and compare with the reviewers' decisions",
        description="Extract, evaluate and compare every disputed item of the letters; write items.jsonl, "
                    "items.csv, errors.jsonl, summary.json, report.md and report.html to --out.")
    audit.add_argument("paths", nargs="+", metavar="PATH", help="letters (.txt/.pdf), folders or glob patterns")
    audit.add_argument("--mode", choices=["summary", "full", "both"], default="summary",
                       help="summary: blind prediction from the case summary (default); full: also the findings the "
                            "reviewer states; both: every letter in both modes, reported side by side")
    audit.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    audit.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                       help="worker processes (default: all cores)")
    audit.add_argument("--rules", metavar="DIR", help="rules folder (default: the shipped packs)")
    audit.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                       help="skip letters finished by an earlier run into the same --out (default); "
                            "--no-resume starts over")
    audit.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto",
                       help="progress display on stderr (default: a bar on a terminal, a line every 10 s otherwise)")
    audit.add_argument("--quiet", "-q", action="store_true", help="no progress and no closing summary")
    audit.set_defaults(handler=run)
    return audit


def _modes(mode: str) -> tuple[str, ...]:
    return ("summary", "full") if mode == "both" else (mode,)


def _closing(run, stdout) -> None:
    s = run.summary
    letters, errors = s["letters"], s["errors"]
    rate = f", {run.rate:.1f} letters/s" if run.rate else ""
    skipped = f" ({run.letters_skipped} already done, skipped)" if run.letters_skipped else ""
    items = ", ".join(f"{n} in {mode} mode" for mode, n in s["items"]["by_mode"].items()) or "none"
    print(f"audit: {run.letters_done} letters done in {run.seconds:.1f} s{rate}{skipped}; "
          f"{run.out} holds {letters['total']} letters, items: {items}", file=stdout)
    for mode in s["modes"]:
        f = s["results"][mode]["overall"]
        base = f["baseline"]
        kappa = "undefined" if f["kappa"] is None else f"{f['kappa']:.2f}"

        def pct(v):
            return "n/a" if v is None else f"{v:.1%}"
        print(f"  {mode}: coverage {pct(f['coverage'])} ({f['no_rule']} no rule); agreement {pct(f['agreement'])} "
              f"on {f['compared_covered']} covered items (majority baseline {pct(base['agreement'] if base else None)}); "
              f"kappa {kappa}; overturns: recall {pct(f['overturned']['recall'])}, "
              f"precision {pct(f['overturned']['precision'])}; reason agreement {pct(f['reasons']['agreement'])}",
              file=stdout)
    if errors["total"]:
        codes = ", ".join(f"{n} {code}" for code, n in errors["by_code"].items())
        print(f"  {errors['total']} errors ({codes}): see {os.path.join(str(run.out), 'errors.jsonl')}", file=stdout)
    print(f"  report: {os.path.join(str(run.out), 'report.html')}", file=stdout)


def run(args, stdout, stderr) -> int:
    """Run the audit for parsed `args`; returns the exit code."""
    from ..errors import ErrorList
    from .runner import run_audit
    from .store import AuditError
    try:
        result = run_audit(args.paths, args.out, modes=_modes(args.mode), jobs=args.jobs, rules_path=args.rules,
                           resume=args.resume, stream=None if args.quiet else stderr,
                           progress="none" if args.quiet else args.progress)
    except ErrorList as errors:
        print(errors.render(), file=stderr)
        return EXIT_RULE_ERRORS
    except AuditError as err:
        print(f"mtus audit: {err.message}", file=stderr)
        return EXIT_USAGE
    except OSError as err:  # the output folder cannot be made or written
        print(f"mtus audit: cannot write the audit to {args.out}: {err.strerror or err}", file=stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"\nmtus audit: interrupted; finished letters are saved in {args.out}: "
              "run the same command again to resume", file=stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        _closing(result, stdout)
    if result.letters_found == 0:
        print("mtus audit: no letter found under the given paths", file=stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def main(argv=None) -> int:
    """Stand-alone entry (`python -m engine.audit`), until the subcommand is wired into `mtus`."""
    import sys
    parser = argparse.ArgumentParser(prog="mtus")
    sub = parser.add_subparsers(dest="command", required=True)
    configure(sub)
    args = parser.parse_args(argv)
    return run(args, sys.stdout, sys.stderr)
