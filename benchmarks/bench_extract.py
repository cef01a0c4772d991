"""How fast letters become cases, on one core.

    python benchmarks/bench_extract.py [--seconds 2] [--mode summary|full] [--corpus DIR]

Prints letters per second for:
- extraction followed by evaluation with full traces (rules compiled once beforehand);
- the seed text letters (examples/letters/*.txt), repeated: with reading (extract_case on
  the file), without reading (extract_text on text already in memory), the structure alone
  (parse_letter on normalised text), and everything but the request parser and the fact
  extractors (reading, normalising, splitting, building the case);
- the dev PDFs when present (shared/corpus/dev-letters): with reading (PDFium text included)
  and without (extract_text on the text already read).
Each row is measured `--repeat` times (default 3) and printed as the median with the lowest
and highest rate. No cache keyed on a letter's text lasts from one letter to the next (the
word positions the fact extractor shares are emptied when a letter starts), so repeating the
same letters does not flatter the rates; the "first pass" row runs each dev letter once, before
anything else has seen it. Rates are letters per CPU second of this process (one core), so other
load on the machine lowers them less, though it still moves them by 10-20% on a shared machine
(benchmarks/instructions.py counts instructions instead). The target for text letters is at least
500 letters per second with everything included; the last line says whether the median meets it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 500                 # text letters per second, reading included
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.extraction import extract_case, extract_text, parse_letter, read_letter  # noqa: E402
from engine.extraction import pipeline  # noqa: E402
from engine.extraction.pipeline import _helpers  # noqa: E402


def without_helpers(work):
    """`work` run with the request parser and fact extractors switched off: what reading,
    normalising, splitting the letter and building the case cost on their own."""
    def run(item):
        saved = pipeline._helpers
        pipeline._helpers = lambda: {"parse_request": None, "extract_facts": None, "extract_item_facts": None}
        try:
            return work(item)
        finally:
            pipeline._helpers = saved
    return run


def rate(work, items, seconds: float) -> tuple[float, int]:
    """Letters per second running `work(item)` over `items` in a loop for about `seconds`."""
    for item in items[: min(3, len(items))]:      # warm-up: imports, lexicon, compiled patterns
        work(item)
    done = 0
    start = time.process_time()           # CPU time of this process: one core, whatever else runs
    deadline = start + seconds
    while True:
        for item in items:
            work(item)
        done += len(items)
        now = time.process_time()
        if now >= deadline:
            return done / (now - start), done


def once(work, items) -> float:
    """Letters per CPU second over one pass of distinct letters: what a batch sees, with no
    help from caches that repeated letters would fill."""
    start = time.process_time()
    for item in items:
        work(item)
    return len(items) / max(time.process_time() - start, 1e-9)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    parser.add_argument("--mode", choices=("summary", "full"), default="summary")
    parser.add_argument("--corpus", type=Path, default=None, help="folder of PDF letters")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per row (default 3)")
    args = parser.parse_args(argv)

    helpers = _helpers()
    missing = [name for name, fn in helpers.items() if fn is None]
    print(f"mode {args.mode}; helpers missing: {', '.join(missing) if missing else 'none'}")

    seeds = sorted((ROOT / "examples" / "letters").glob("*.txt"))
    raw = [p.read_text(encoding="utf-8") for p in seeds]
    normalised = [read_letter(p) for p in seeds]
    from engine import case_from_dict, evaluate, load_rules
    rules = load_rules()                                  # compiled once, outside the timing

    def extract_and_evaluate(path):
        return evaluate(rules, case_from_dict(extract_case(path, mode=args.mode)))

    rows = [
        ("text letters, extract + evaluate (traces)", extract_and_evaluate, seeds),
        ("text letters, reading included", lambda p: extract_case(p, mode=args.mode), seeds),
        ("text letters, reading excluded", lambda t: extract_text(t, mode=args.mode), raw),
        ("text letters, structure only", parse_letter, normalised),
        ("text letters, reading included, no helpers", without_helpers(lambda p: extract_case(p, mode=args.mode)),
         seeds),
    ]

    pdfs = []
    corpus = args.corpus
    if corpus is None:
        for candidate in (ROOT.parent / "shared" / "corpus" / "dev-letters", Path("/work/shared/corpus/dev-letters")):
            if candidate.is_dir():
                corpus = candidate
                break
    if corpus is not None and corpus.is_dir():
        pdfs = sorted(corpus.glob("*.pdf"))
        if pdfs:
            texts = [read_letter(p) for p in pdfs]
            extract_text(raw[0], mode=args.mode)            # imports and data loaded outside the timing
            first_pass = once(lambda t: extract_text(t, mode=args.mode), texts)
            rows += [
                (f"dev PDFs ({len(pdfs)}), extract + evaluate", extract_and_evaluate, pdfs),
                (f"dev PDFs ({len(pdfs)}), reading included", lambda p: extract_case(p, mode=args.mode), pdfs),
                (f"dev PDFs ({len(pdfs)}), reading excluded", lambda t: extract_text(t, mode=args.mode), texts),
                (f"dev PDFs ({len(pdfs)}), structure only", parse_letter, texts),
            ]
    else:
        print("dev PDFs: not found, skipped")

    if corpus is not None and corpus.is_dir() and pdfs:
        print(f"{'dev PDFs, reading excluded, first pass':45s} {first_pass:9.1f} letters/s  ({len(pdfs)} letters)")
    target_rate = None
    for label, work, items in rows:
        rates = []
        count = 0
        for _ in range(max(1, args.repeat)):
            per_second, done = rate(work, items, args.seconds)
            rates.append(per_second)
            count += done
        median = statistics.median(rates)
        print(f"{label:45s} {median:9.1f} letters/s  (range {min(rates):.1f}-{max(rates):.1f}; {count} letters)")
        if label == "text letters, reading included":
            target_rate = median
    if target_rate is not None:
        verdict = "met" if target_rate >= TARGET else "NOT met"
        print(f"target: {TARGET} text letters per second with reading included: {verdict} ({target_rate:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
