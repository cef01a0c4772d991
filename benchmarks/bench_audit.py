"""Benchmark `mtus audit`: letters per second with one job and with all jobs, and peak memory.

    python benchmarks/bench_audit.py [--repeat 20] [--big 100] [--mode summary|full|both] [--dev DIR]

Corpora: the seed letters of examples/letters (*.txt) copied `--repeat` times (distinct file
names, same text), the same copied `--big` times (to show memory does not grow with the
corpus), and the development PDFs (/work/shared/corpus/dev-letters) when present.

Each measurement runs in its own child process, so its peak memory is its own:
`resource.getrusage(RUSAGE_SELF).ru_maxrss` is the parent (main) process, and
`RUSAGE_CHILDREN` the largest worker it waited for (Linux reports the maximum of one child,
not a sum); "total" adds main + jobs x largest worker, an upper bound for the whole run.
"letters/s" is wall-clock for the whole audit (loading rules, warming caches on the first
letter, starting the pool and writing the reports included); "steady/s" counts only from the
first finished letter to the last, the rate a long run settles at.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = Path("/work/shared/corpus/dev-letters")


def _one(args) -> None:
    """Child: one audit, then its figures as JSON on stdout."""
    sys.path.insert(0, str(ROOT))
    from engine.audit import run_audit
    modes = ("summary", "full") if args.mode == "both" else (args.mode,)
    start = time.perf_counter()
    stamps = []
    run = run_audit([args.corpus], args.out, modes=modes, jobs=args.jobs, resume=False,
                    on_letter=lambda result: stamps.append(time.perf_counter()))
    seconds = time.perf_counter() - start
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 and stamps[-1] > stamps[0] else None
    main_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"letters": run.letters_done, "items": run.summary["items"]["total"], "seconds": seconds,
                      "steady": steady,
                      "main_mb": main_kb / 1024, "worker_mb": worker_kb / 1024,
                      "errors": run.summary["errors"]["total"]}))


def measure(corpus: Path, jobs: int, mode: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, __file__, "--one", str(corpus), "--out", out, "--jobs", str(jobs),
                               "--mode", mode], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed_corpus(folder: Path, repeat: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted((ROOT / "examples" / "letters").glob("*.txt"))
    for n in range(repeat):
        for seed in seeds:
            shutil.copy(seed, folder / f"{seed.stem}-{n:04d}.txt")
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="copies of the 5 seed letters (default 20)")
    parser.add_argument("--big", type=int, default=100, help="copies for the memory check (default 100; 0 = skip)")
    parser.add_argument("--mode", choices=["summary", "full", "both"], default="summary")
    parser.add_argument("--dev", default=str(DEV), help="folder of development PDFs (skipped when absent)")
    parser.add_argument("--one", metavar="CORPUS", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        args.corpus = args.one
        _one(args)
        return 0
    sys.path.insert(0, str(ROOT))
    from engine.audit.runner import default_jobs
    cores = default_jobs()
    plan = []
    with tempfile.TemporaryDirectory() as tmp:
        small = seed_corpus(Path(tmp) / "seeds", args.repeat)
        plan += [(f"seeds x{args.repeat}", small, 1), (f"seeds x{args.repeat}", small, cores)]
        if args.big:
            big = seed_corpus(Path(tmp) / "big", args.big)
            plan.append((f"seeds x{args.big}", big, cores))
        dev = Path(args.dev)
        if dev.is_dir() and any(dev.glob("*.pdf")):
            plan += [("dev PDFs", dev, 1), ("dev PDFs", dev, cores)]
        else:
            print(f"(dev PDFs not found at {dev}: skipped)")
        print(f"mode {args.mode}; {cores} cores; python {sys.version.split()[0]}")
        head = f"{'corpus':<14}{'jobs':>5}{'letters':>9}{'items':>7}{'seconds':>9}{'letters/s':>11}{'steady/s':>10}" \
               f"{'main MB':>9}{'worker MB':>11}{'total MB':>10}"
        print(head)
        print("-" * len(head))
        for name, corpus, jobs in plan:
            r = measure(corpus, jobs, args.mode)
            workers = 0 if jobs == 1 else jobs
            total = r["main_mb"] + workers * r["worker_mb"]
            print(f"{name:<14}{jobs:>5}{r['letters']:>9}{r['items']:>7}{r['seconds']:>9.2f}"
                  f"{r['letters'] / r['seconds']:>11.1f}{(r['steady'] or 0):>10.1f}{r['main_mb']:>9.0f}"
                  f"{(r['worker_mb'] if workers else 0):>11.0f}{total:>10.0f}"
                  + (f"   ({r['errors']} errors)" if r["errors"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
