"""Benchmark `mtus audit` on a large corpus of SYNTHETIC letters: speed and memory only.

    python benchmarks/bench_audit_10k.py [--count 10000] [--small 2000] [--seed 0] [--jobs N]
                                         [--mode summary|full|both] [--extract-count N] [--keep DIR]

1. Writes `--count` synthetic letters (engine/synthetic.py) to a temporary folder.
2. Runs the audit command as a subprocess, `python -m engine audit DIR --out OUT --jobs 1`, then
   with `--jobs <all cores>`, and prints letters per second (wall clock, start-up, rule loading
   and report writing included) and peak memory.
3. Runs the same two commands on the first `--small` letters (2,000 by default; the same letters,
   since a letter depends only on seed and index) to show whether peak memory grows with the
   number of letters.
4. Extracts every letter in this process (read_letter + extract_text, no rules, no reports) and
   prints letters per second, for comparison (one warm-up letter first: the vocabularies compile
   once per process).

Memory. Each audit runs under a small wrapper process of its own, so the figures are that run's:
  - "largest MB": resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in the wrapper, i.e. the peak
    resident set of the largest single process of the audit (the main process or one worker;
    Linux reports the maximum over the waited-for descendants, not a sum);
  - "tree MB": the peak of the summed resident sets of the audit and all its workers, sampled from
    /proc every 0.2 s (Linux only; a sample can miss a short peak).

If the `audit` subcommand is not available, the script says so and runs step 4 only.

The letters are synthetic. The audit's agreement figures on them measure the generator's criteria
against the engine's rules and are not printed here: they are never real-letter figures
(docs/synthetic.md).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ measuring one command
def _descendants(pid: int) -> list[int]:
    """The process and its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _measure(argv: list[str]) -> int:
    """Wrapper mode: run `argv`, then print {seconds, returncode, largest_kb, tree_kb} as JSON."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            if os.path.isdir("/proc"):
                peak[0] = max(peak[0], sum(_rss_kb(p) for p in _descendants(proc.pid)))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss   # KiB on Linux
    print(json.dumps({"seconds": seconds, "returncode": proc.returncode, "largest_kb": largest,
                      "tree_kb": peak[0], "stdout": out[-2000:], "stderr": err[-2000:]}))
    return 0


def measure(argv: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", "--", *argv], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the audit command
def audit_available() -> tuple[bool, str]:
    """Whether `python -m engine audit` exists, and its help text."""
    try:
        done = subprocess.run([sys.executable, "-m", "engine", "audit", "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return done.returncode == 0 and "--jobs" in done.stdout, done.stdout + done.stderr


def audit(corpus: Path, out: Path, jobs: int, mode: str, help_text: str) -> dict:
    argv = [sys.executable, "-m", "engine", "audit", str(corpus), "--out", str(out), "--jobs", str(jobs)]
    if "--mode" in help_text:
        argv += ["--mode", mode]
    if "--progress" in help_text:
        argv += ["--progress", "none"]
    if "--no-resume" in help_text:
        argv += ["--no-resume"]
    result = measure(argv)
    summary_path = out / "summary.json"
    result["letters"] = result["items"] = result["errors"] = None
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        letters, items, errors = summary.get("letters"), summary.get("items"), summary.get("errors")
        result["letters"] = letters.get("total") if isinstance(letters, dict) else letters
        result["items"] = items.get("total") if isinstance(items, dict) else items
        result["errors"] = errors.get("total") if isinstance(errors, dict) else errors
    return result


def default_jobs() -> int:
    try:
        sys.path.insert(0, str(ROOT))
        from engine.audit.runner import default_jobs as engine_default
        return engine_default()
    except Exception:   # the audit package may not be there yet
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ------------------------------------------------------------------ in-process extraction
def extraction_rate(corpus: Path, count: int, mode: str) -> tuple[int, float, int]:
    sys.path.insert(0, str(ROOT))
    from engine.extraction import LetterError, extract_text, read_letter
    files = sorted(corpus.glob("synthetic-*.txt"))[:count]
    errors = 0
    if files:   # warm up: the vocabularies compile once per process (about a second), not per letter
        extract_text(read_letter(files[0]), source=files[0].name)
    start = time.perf_counter()
    for path in files:
        try:
            text = read_letter(path)
            extract_text(text, source=path.name, mode="summary" if mode == "both" else mode)
        except LetterError:
            errors += 1
    return len(files), time.perf_counter() - start, errors


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        return _measure(argv[2:] if argv[1:2] == ["--"] else argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10000, help="synthetic letters for the big run (default 10000)")
    parser.add_argument("--small", type=int, default=2000, help="letters for the memory comparison run "
                                                                 "(default 2000; 0 = skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="jobs for the parallel runs (default: all cores)")
    parser.add_argument("--mode", choices=["summary", "full", "both"], default="summary")
    parser.add_argument("--extract-count", type=int, default=None,
                        help="letters for the in-process extraction rate (default: all of --count)")
    parser.add_argument("--keep", metavar="DIR", help="write the letters and audit outputs here and keep them")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from engine.synthetic import write_corpus

    cores = args.jobs or default_jobs()
    tmp = None
    if args.keep:
        base = Path(args.keep)
        base.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="mtus-bench-10k-")
        base = Path(tmp.name)
    try:
        print(f"SYNTHETIC letters (engine/synthetic.py, seed {args.seed}): speed and memory only, "
              f"not real-letter figures")
        print(f"python {sys.version.split()[0]}; {cores} cores for the parallel runs; mode {args.mode}")
        corpus = base / "letters"
        if corpus.exists():
            shutil.rmtree(corpus)
        start = time.perf_counter()
        write_corpus(corpus, args.count, seed=args.seed)
        seconds = time.perf_counter() - start
        print(f"generated {args.count} letters in {seconds:.1f} s ({args.count / seconds:.0f} letters/s) "
              f"into {corpus}")
        small = None
        if args.small and args.small < args.count:
            small = base / "letters-small"
            if small.exists():
                shutil.rmtree(small)
            small.mkdir(parents=True)
            for path in sorted(corpus.glob("synthetic-*.txt"))[:args.small]:
                shutil.copyfile(path, small / path.name)

        ok, help_text = audit_available()
        rows = []
        if not ok:
            print("\n`python -m engine audit` is NOT available in this tree yet (the audit subcommand is "
                  "missing or has no --jobs); the audit runs are skipped.")
            print("  output of `python -m engine audit --help`:")
            print("  " + (help_text.strip().splitlines() or ["(nothing)"])[-1])
        else:
            plan = [(corpus, args.count, 1), (corpus, args.count, cores)]
            if small is not None:
                plan += [(small, args.small, 1), (small, args.small, cores)]
            for folder, count, jobs in plan:
                out = base / f"audit-{count}-j{jobs}"
                if out.exists():
                    shutil.rmtree(out)
                print(f"running: python -m engine audit {folder.name} --out {out.name} --jobs {jobs} ...",
                      flush=True)
                r = audit(folder, out, jobs, args.mode, help_text)
                if r["returncode"] != 0:
                    print(f"  audit failed (exit {r['returncode']}): {r['stderr'].strip()[-500:]}")
                rows.append((count, jobs, r))

        n, seconds, errors = extraction_rate(corpus, args.extract_count or args.count, args.mode)
        print()
        if rows:
            head = (f"{'letters':>8}{'jobs':>6}{'done':>7}{'items':>7}{'errors':>8}{'seconds':>9}"
                    f"{'letters/s':>11}{'largest MB':>12}{'tree MB':>9}")
            print("audit (subprocess, wall clock; memory = peak resident set)")
            print(head)
            print("-" * len(head))
            for count, jobs, r in rows:
                print(f"{count:>8}{jobs:>6}{(r['letters'] if r['letters'] is not None else '-'):>7}"
                      f"{(r['items'] if r['items'] is not None else '-'):>7}"
                      f"{(r['errors'] if r['errors'] is not None else '-'):>8}{r['seconds']:>9.1f}"
                      f"{count / r['seconds']:>11.1f}{r['largest_kb'] / 1024:>12.0f}"
                      f"{(r['tree_kb'] / 1024 if r['tree_kb'] else float('nan')):>9.0f}")
            big = {jobs: r for count, jobs, r in rows if count == args.count}
            little = {jobs: r for count, jobs, r in rows if count != args.count}
            for jobs in sorted(little):
                if jobs in big:
                    ratio = big[jobs]["largest_kb"] / max(1, little[jobs]["largest_kb"])
                    print(f"peak memory, jobs {jobs}: {args.count} letters {big[jobs]['largest_kb'] / 1024:.0f} MB vs "
                          f"{args.small} letters {little[jobs]['largest_kb'] / 1024:.0f} MB (x{ratio:.2f} for "
                          f"x{args.count / args.small:.0f} the letters)")
        print(f"extraction only, in process (read + extract_text, {args.mode if args.mode != 'both' else 'summary'} "
              f"mode, after one warm-up letter): {n} letters in {seconds:.1f} s = {n / seconds:.1f} letters/s"
              + (f" ({errors} errors)" if errors else ""))
        if args.keep:
            print(f"letters and audit outputs kept in {base}")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
