"""Instructions per letter or per request, counted by valgrind: a measure that does not move.

    python benchmarks/instructions.py extract     # extract_case over the seed text letters
    python benchmarks/instructions.py evaluate    # evaluate_request over the example cases
    python benchmarks/instructions.py decide      # decide_request (the compact record), same requests
    python benchmarks/instructions.py prepare     # case_from_dict + every environment, example cases
    python benchmarks/instructions.py audit       # a summary-mode audit of each dev letter's text
    python benchmarks/instructions.py extract --repo /path/to/other/checkout

Timings on a shared machine vary by 10-20% from run to run, which hides a change worth 3%.
This script runs the workload once under `valgrind --tool=callgrind` with counting switched
on only inside the timed loop (the loop runs inside functools.reduce, whose C function is
the toggle), with PYTHONHASHSEED fixed, and prints CPU instructions per item. Repeated runs
agree within about 0.3%. Instructions are not time (cache misses and branch mispredictions
are not counted), but a change that removes instructions from the same code seldom costs
time. Needs valgrind (Debian: apt install valgrind); takes about a minute.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The child: set up and warm up outside the counted part, then run the loop inside reduce().
_CHILD = r'''
import functools, glob, sys
sys.path.insert(0, sys.argv[1])
workload, passes = sys.argv[2], int(sys.argv[3])
if workload == "extract":
    from engine.extraction import extract_case
    files = sorted(glob.glob(sys.argv[1] + "/examples/letters/*.txt"))
    items = [lambda f=f: extract_case(f) for f in files]
elif workload == "audit":
    # what `mtus audit --mode summary` does per letter once PDFium has given the text: the
    # letter's structure, the case, deciding, the items (the reviewer's rationale read for
    # reason matching) and their JSON lines; the dev letters when present, else the seeds
    import json, os
    from engine import case_from_dict, load_rules
    from engine.audit.items import item_records
    from engine.evaluator import decide_case
    from engine.extraction import parse_letter, read_letter
    from engine.extraction.pipeline import build_case
    rules = load_rules()
    files = sorted(glob.glob("/work/shared/corpus/dev-letters/*.pdf")) or \
        sorted(glob.glob(sys.argv[1] + "/examples/letters/*.txt"))
    def audit(name, text):
        data = build_case(parse_letter(text, path=name), source=name, mode="summary")
        record = decide_case(rules, case_from_dict(data, file=name))
        for item in item_records(data, record, mode="summary", letter=name):
            json.dumps(item, ensure_ascii=False)
    items = [lambda f=f, t=read_letter(f): audit(f, t) for f in files]
elif workload == "prepare":
    import json
    import engine
    documents = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/examples/cases/*.json"))]
    def prepare(document):
        case = engine.case_from_dict(document)
        for index in range(len(case.requests)):
            case.environment(index)
    items = [lambda d=d: prepare(d) for d in documents]
else:
    import engine
    from engine import evaluator
    decide = evaluator.evaluate_request if workload == "evaluate" else evaluator.decide_request
    rules = engine.load_rules()
    cases = [engine.load_case(p) for p in sorted(glob.glob(sys.argv[1] + "/examples/cases/*.json"))]
    items = [lambda c=c, i=i: decide(rules, c, i) for c in cases for i in range(len(c.requests))]
for item in items:
    item()
def loop():
    for _ in range(passes):
        for item in items:
            item()
functools.reduce(lambda a, b: loop(), [0, 0])
print(len(items) * passes)
'''


def count(repo: Path, workload: str, passes: int) -> tuple[int, int]:
    """(instructions inside the loop, items run in it)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = dict(os.environ, PYTHONHASHSEED="0")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=functools_reduce", f"--callgrind-out-file={out}",
             sys.executable, "-c", _CHILD, str(repo), workload, str(passes)],
            env=env, capture_output=True, text=True, check=True)
        items = int(done.stdout.strip().splitlines()[-1])
        for line in out.read_text().splitlines():
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1]), items
    raise RuntimeError("callgrind wrote no totals")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=("extract", "evaluate", "decide", "prepare", "audit"))
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--passes", type=int, default=None, help="passes over the items (default 4; 1 for audit)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: this measure needs it (Debian: apt install valgrind)")
        return 2
    passes = args.passes or (1 if args.workload == "audit" else 4)
    instructions, items = count(args.repo.resolve(), args.workload, passes)
    unit = {"extract": "letter", "prepare": "case", "audit": "letter"}.get(args.workload, "request")
    print(f"{args.workload}: {instructions / items:,.0f} instructions per {unit} "
          f"({items} {unit}s, {args.repo})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
