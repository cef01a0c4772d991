"""Benchmark `mtus audit`: letters per second with one job and with all jobs, peak memory, and
the PDF audit beside PDFium's plain text extraction alone.

    python benchmarks/bench_audit.py [--repeat 20] [--big 100] [--mode summary|full|both] [--dev DIR]
                                     [--dev-repeat 4]

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

PDF audit vs PDFium (when the dev PDFs are there): the dev PDFs copied `--dev-repeat` times are
audited with one job and with all jobs, and, in a child process of its own, read with PDFium's
plain text extraction alone (pypdfium2: open the document, and for each page its text page and
`get_text_range`, as `engine.extraction.reader.pdf_pages` does, nothing else). The table gives
both rates (steady, one core, wall clock; and per CPU second for PDFium), their ratio (target:
the audit within 1.3x of PDFium alone) and the scaling from one job to all jobs.
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


def _pdfium(args) -> None:
    """Child: PDFium's plain text extraction of every PDF of the corpus, three passes; the best."""
    import pypdfium2 as pdfium
    files = sorted(Path(args.pdfium).glob("*.pdf"))
    datas = [f.read_bytes() for f in files]
    best_wall = best_cpu = None
    for _ in range(3):
        cpu, wall = time.process_time(), time.perf_counter()
        for data in datas:
            document = pdfium.PdfDocument(data)
            for index in range(len(document)):
                page = document[index]
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
            document.close()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best_wall = wall if best_wall is None else min(best_wall, wall)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    print(json.dumps({"letters": len(datas), "rate": len(datas) / best_wall, "cpu_rate": len(datas) / best_cpu}))


def pdfium_alone(corpus: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--pdfium", str(corpus)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def dev_corpus(folder: Path, dev: Path, repeat: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(repeat):
        for pdf in sorted(dev.glob("*.pdf")):
            shutil.copy(pdf, folder / f"{pdf.stem}-{n:02d}.pdf")
    return folder


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
    parser.add_argument("--dev-repeat", type=int, default=4, help="copies of the dev PDFs for the PDFium comparison")
    parser.add_argument("--one", metavar="CORPUS", help=argparse.SUPPRESS)
    parser.add_argument("--pdfium", metavar="CORPUS", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pdfium:
        _pdfium(args)
        return 0
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
        pdfs = None
        if dev.is_dir() and any(dev.glob("*.pdf")):
            pdfs = dev_corpus(Path(tmp) / "dev", dev, args.dev_repeat)
            name = f"dev PDFs x{args.dev_repeat}"
            plan += [(name, pdfs, 1), (name, pdfs, cores)]
        else:
            print(f"(dev PDFs not found at {dev}: skipped)")
        print(f"mode {args.mode}; {cores} cores; python {sys.version.split()[0]}")
        head = f"{'corpus':<14}{'jobs':>5}{'letters':>9}{'items':>7}{'seconds':>9}{'letters/s':>11}{'steady/s':>10}" \
               f"{'main MB':>9}{'worker MB':>11}{'total MB':>10}"
        print(head)
        print("-" * len(head))
        steady = {}
        for name, corpus, jobs in plan:
            r = measure(corpus, jobs, args.mode)
            if corpus == pdfs:
                steady[jobs] = r["steady"]
            workers = 0 if jobs == 1 else jobs
            total = r["main_mb"] + workers * r["worker_mb"]
            print(f"{name:<14}{jobs:>5}{r['letters']:>9}{r['items']:>7}{r['seconds']:>9.2f}"
                  f"{r['letters'] / r['seconds']:>11.1f}{(r['steady'] or 0):>10.1f}{r['main_mb']:>9.0f}"
                  f"{(r['worker_mb'] if workers else 0):>11.0f}{total:>10.0f}"
                  + (f"   ({r['errors']} errors)" if r["errors"] else ""))
        if pdfs is not None:
            alone = pdfium_alone(pdfs)
            print()
            print(f"PDF audit vs PDFium's plain text extraction alone, {alone['letters']} dev PDFs, mode {args.mode}:")
            print(f"  PDFium alone, one core           {alone['rate']:8.1f} letters/s   "
                  f"({alone['cpu_rate']:.1f} per CPU second)")
            print(f"  mtus audit --jobs 1 (steady)     {steady[1]:8.1f} letters/s   "
                  f"ratio PDFium / audit {alone['rate'] / steady[1]:.2f}x (target <= 1.3x)")
            if cores in steady and cores != 1:
                print(f"  mtus audit --jobs {cores} (steady)     {steady[cores]:8.1f} letters/s   "
                      f"scaling from 1 to {cores} jobs {steady[cores] / steady[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
