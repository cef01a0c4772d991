"""Audit figures of the development letters, split in two by case number.

Odd case numbers are the half a developer reads ("look"); even ones are only measured
("measure"). A change that lifts one half and not the other is fitting, not reading. The
script extracts and evaluates every letter in both evidence modes, in one process, and
prints per half and mode: items, coverage, agreement on covered items beside the always-Upheld
baseline, Cohen's kappa, overturn precision and recall.

    python benchmarks/dev_split.py [FOLDER] [--save ITEMS.json] [--compare OLD.json]

FOLDER defaults to ../shared/corpus/dev-letters. `--save` writes one record per item and mode
(letter, request, predicted, actual), so that a later run can `--compare` with it and list
the items whose prediction changed, by half.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.audit.metrics import Confusion, figures  # noqa: E402
from engine.case import case_from_dict  # noqa: E402
from engine.evaluator import evaluate_case  # noqa: E402
from engine.extraction import LetterError, extract_case  # noqa: E402
from engine.loader import load_rules  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "corpus" / "dev-letters"
MODES = ("summary", "full")


def half(path: Path) -> str:
    """'look' for an odd case number, 'measure' for an even one (the digits of the file stem)."""
    digits = re.sub(r"\D", "", path.stem)
    return "look" if digits and int(digits[-1]) % 2 else "measure"


def run(folder: Path) -> list[dict]:
    rules = load_rules()
    records = []
    for path in sorted(folder.glob("*.pdf")) + sorted(folder.glob("*.txt")):
        for mode in MODES:
            try:
                data = extract_case(path, mode=mode)
            except LetterError as err:
                print(f"{path.name}: {err}", file=sys.stderr)
                break
            document = evaluate_case(rules, case_from_dict(data, file=path.name))
            outcomes = {x["request_id"]: x["outcome"] for x in data.get("reviewer", {}).get("items", [])}
            texts = {r["id"]: r.get("text") for r in data["requests"]}
            for d in document["determinations"]:
                records.append({"letter": path.name, "half": half(path), "mode": mode,
                                "request": d["request_id"], "item": texts.get(d["request_id"]),
                                "predicted": d["outcome"], "actual": outcomes.get(d["request_id"])})
    return records


def table(records: list[dict]) -> str:
    head = ("| half | mode | items | coverage | agreement (covered) | always-Upheld | kappa "
            "| overturn precision | overturn recall |")
    lines = [head, "|" + "---|" * 9]
    for name in ("look", "measure"):
        for mode in MODES:
            rows = [r for r in records if r["half"] == name and r["mode"] == mode and r["actual"]]
            tp = sum(r["predicted"] == "certify" and r["actual"] == "overturned" for r in rows)
            fp = sum(r["predicted"] == "certify" and r["actual"] == "upheld" for r in rows)
            fn = sum(r["predicted"] == "non_certify" and r["actual"] == "overturned" for r in rows)
            tn = sum(r["predicted"] == "non_certify" and r["actual"] == "upheld" for r in rows)
            no_rule = [r for r in rows if r["predicted"] == "no_rule"]
            f = figures(items=len(rows), no_rule=len(no_rule), confusion=Confusion(tp, fp, fn, tn),
                        no_rule_overturned=sum(r["actual"] == "overturned" for r in no_rule),
                        no_rule_upheld=sum(r["actual"] == "upheld" for r in no_rule))

            def pct(v, n=None, d=None):
                if v is None:
                    return "-"
                return f"{100 * v:.1f}%" + (f" ({n}/{d})" if d is not None else "")

            over = f["overturned"]
            base = f["baseline"]["agreement"] if f["baseline"] else None
            kappa = "-" if f["kappa"] is None else f"{f['kappa']:.2f}"
            lines.append(f"| {name} | {mode} | {f['items']} | {pct(f['coverage'], f['covered'], f['items'])} "
                         f"| {pct(f['agreement'], f['agreeing'], f['compared_covered'])} | {pct(base)} | {kappa} "
                         f"| {pct(over['precision'], over['found'], over['predicted'])} "
                         f"| {pct(over['recall'], over['found'], over['actual'])} |")
    return "\n".join(lines)


def changes(old: list[dict], new: list[dict]) -> str:
    key = lambda r: (r["letter"], r["request"], r["mode"])  # noqa: E731
    before = {key(r): r for r in old}
    lines = []
    for r in new:
        o = before.get(key(r))
        if o is not None and o["predicted"] != r["predicted"]:
            mark = "right" if (r["predicted"] == "certify") == (r["actual"] == "overturned") and r["predicted"] != "no_rule" else "wrong"
            lines.append(f"{r['half']:7} {r['mode']:7} {r['letter']} {r['request']} {o['predicted']} -> "
                         f"{r['predicted']} (reviewer {r['actual']}; now {mark}): {r['item']}")
    return "\n".join(sorted(lines)) or "(no prediction changed)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--save", metavar="ITEMS.json")
    parser.add_argument("--compare", metavar="OLD.json")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"{folder}: no such folder (the dev letters live in ../shared/corpus/dev-letters)", file=sys.stderr)
        return 2
    records = run(folder)
    print(table(records))
    if args.save:
        Path(args.save).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    if args.compare:
        print()
        print(changes(json.loads(Path(args.compare).read_text(encoding="utf-8")), records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
