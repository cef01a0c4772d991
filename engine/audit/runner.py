"""Running an audit: letters -> worker processes -> the output folder -> reports.

Stage: audit (orchestration). Input: PATH arguments, the output folder and the run's options.
Output: an `AuditRun` (the summary document and what this run did); the files of docs/audit.md
in the output folder. Raises `ErrorList` for rules with problems, `AuditError` for an output
folder made with other settings, and `KeyboardInterrupt` after saving what was finished.

Parallelism: a process pool whose initializer makes the rules ready once per worker (a forked
worker inherits the parent's compiled rules and warm caches; otherwise it loads them);
at most 4 letters per worker are in flight, and each letter's lines are written as soon as it
is done, so memory does not grow with the corpus. If a worker process dies (a crash inside a
PDF library, say), the letters that were in flight are each retried alone in a fresh
one-worker pool; the one that kills its worker again is recorded as `worker_crashed`.
With one job the work runs in this process (no pool to start).
"""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .inputs import find_letters
from .store import Store
from .worker import LetterResult, init_worker, process_letter

MODES = ("summary", "full")
IN_FLIGHT_PER_WORKER = 4


@dataclass
class AuditRun:
    summary: dict
    out: Path
    letters_found: int          # letters named by the PATH arguments
    letters_skipped: int        # already finished in an earlier run (resume)
    letters_done: int           # done by this run
    seconds: float

    @property
    def rate(self) -> float | None:
        return self.letters_done / self.seconds if self.seconds > 0 and self.letters_done else None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def rules_fingerprint(rules_path) -> str:
    """A hash of every rule and vocabulary file the run reads (a resumed run must use the same)."""
    from ..paths import rules_dir
    root = Path(rules_path) if rules_path else rules_dir()
    files = [root] if root.is_file() else sorted(root.rglob("*.yaml"))
    base = root.parent if root.is_file() else root
    if not (base / "vocab").is_dir():
        files += sorted((rules_dir() / "vocab").glob("*.yaml"))
    digest = hashlib.sha256()
    for file in files:
        try:
            name = file.relative_to(base).as_posix()
        except ValueError:
            name = "vocab/" + file.name
        digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def settings_for(rules, rules_path, modes) -> dict:
    from .. import __version__
    from ..extraction import EXTRACTOR
    return {
        "modes": list(modes),
        "engine_version": __version__,
        "extractor": EXTRACTOR,
        "rule_packs": sorted(f"{p.id} v{p.version}" for p in rules.packs),
        "rules_fingerprint": rules_fingerprint(rules_path),
    }


def _crashed(task) -> LetterResult:
    path, shown, fingerprint = task
    result = LetterResult(path, shown, fingerprint)
    result.errors.append({"letter": shown, "mode": None, "code": "worker_crashed",
                          "message": "the worker process died while reading this letter (a crash in a library)"})
    return result


def _failed(task, err: BaseException) -> LetterResult:
    path, shown, fingerprint = task
    result = LetterResult(path, shown, fingerprint)
    result.errors.append({"letter": shown, "mode": None, "code": "internal_error",
                          "message": f"{type(err).__name__}: {err}"})
    return result


def _alone(task, initargs) -> LetterResult:
    executor = ProcessPoolExecutor(1, initializer=init_worker, initargs=initargs)
    try:
        return executor.submit(process_letter, task).result()
    except BrokenProcessPool:
        return _crashed(task)
    except Exception as err:
        return _failed(task, err)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _parallel(tasks, jobs: int, initargs, rules=None):
    """Results of `process_letter` over `tasks`, in completion order, at most jobs*4 in flight.

    The first letter is done here, before the pool starts: it warms this process's caches
    (rules, vocabularies, compiled patterns, the schema validator), which forked workers then
    inherit instead of each rebuilding them (measured: 2-4 s per worker on a busy machine).
    """
    tasks = list(tasks)
    init_worker(*initargs, ignore_interrupt=False, rules=rules)
    if tasks:
        yield process_letter(tasks[0])
    pending = iter(tasks[1:])
    while True:
        executor = ProcessPoolExecutor(jobs, initializer=init_worker, initargs=initargs)
        in_flight: dict = {}
        suspects: list = []
        try:
            def fill():
                while len(in_flight) < jobs * IN_FLIGHT_PER_WORKER:
                    task = next(pending, None)
                    if task is None:
                        return
                    in_flight[executor.submit(process_letter, task)] = task

            fill()
            while in_flight and not suspects:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        continue
                    except Exception as err:  # e.g. a result that could not be sent back
                        result = _failed(task, err)
                    yield result
                if not suspects:
                    fill()
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        if not suspects:
            return
        suspects += list(in_flight.values())
        for task in sorted(suspects):
            yield _alone(task, initargs)


def _sequential(tasks, initargs, rules):
    init_worker(*initargs, ignore_interrupt=False, rules=rules)
    for task in tasks:
        yield process_letter(task)


def run_audit(paths, out, *, modes=("summary",), jobs: int | None = None, rules_path=None, resume: bool = True,
              stream=None, progress: str = "auto", on_letter=None, rules=None) -> AuditRun:
    """Audit the letters named by `paths` into the folder `out` (see the module docstring).

    on_letter(result): called after each letter is recorded (tests use it to interrupt a run).
    rules: an already loaded RuleSet for `rules_path` (saves loading it again in-process).
    """
    from ..loader import load_rules
    from .progress import Progress
    from .report import write_reports
    from .summary import summarize

    modes = tuple(m for m in MODES if m in modes)
    if not modes:
        raise ValueError("no extraction mode given")
    started = time.monotonic()
    if rules is None:
        rules = load_rules(rules_path)                       # rule errors stop the run before any work
    settings = settings_for(rules, rules_path, modes)
    letters, missing = find_letters(paths)
    store = Store(out)
    store.open(settings, resume=resume, current={x.path: x.fingerprint for x in letters})
    done_before = 0
    try:
        for entry in missing:                                # a path naming nothing is an error, not a stop
            path = os.path.abspath(entry.argument)
            if store.is_done(path):
                continue
            result = LetterResult(path, entry.argument, [None, None])
            result.errors.append({"letter": entry.argument, "mode": None, "code": "letter_not_found",
                                  "message": entry.message})
            store.record(result)
        tasks = []
        for letter in letters:
            if store.is_done(letter.path):
                done_before += 1
            else:
                tasks.append((letter.path, letter.shown, letter.fingerprint))
        jobs = max(1, min(jobs or default_jobs(), len(tasks) or 1))
        meter = Progress(len(tasks), stream, style=progress if stream is not None else "none", skipped=done_before)
        initargs = (None if rules_path is None else os.fspath(rules_path), modes)
        results = _sequential(tasks, initargs, rules) if jobs == 1 else _parallel(tasks, jobs, initargs, rules)
        try:
            for result in results:
                store.record(result)
                meter.update(result)
                if on_letter is not None:
                    on_letter(result)
        finally:
            close = getattr(results, "close", None)
            if close:
                close()
            meter.close()
    finally:
        store.close()
    seconds = time.monotonic() - started
    summary, listing = summarize(out, settings=settings)
    write_reports(out, summary, listing)
    return AuditRun(summary, Path(out), len(letters), done_before, len(tasks), seconds)
