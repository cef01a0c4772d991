"""The audit's output folder: streamed item and error lines, the ledger of finished letters, resume.

Stage: audit (storage). Input: the --out folder, the run's settings and each letter's result.
Output: `items.jsonl`, `errors.jsonl`, `letters.jsonl` (the ledger) and `run.json`. Raises
`AuditError` when a resumed run's settings differ from those the folder was made with.

How resuming stays exact. A letter's item and error lines are written and flushed first; only
then is its ledger line written. A letter is finished if and only if it has a ledger line. On
resume, `open` rewrites items.jsonl and errors.jsonl keeping only lines of finished letters,
so the lines of a letter cut off half-way (or a line cut in the middle) disappear and the
letter is done again, once. Rewriting streams line by line: memory stays flat.

A letter is recognised by its absolute path and, to notice an edited file, its size and
modification time; an edited letter is done again.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import EngineError

ITEMS, ERRORS, LEDGER, RUN = "items.jsonl", "errors.jsonl", "letters.jsonl", "run.json"
REPORTS = ("summary.json", "items.csv", "report.md", "report.html")


class AuditError(EngineError):
    code = "audit_error"


def read_jsonl(path: Path):
    """(offset, record) for each complete, valid JSON line; others are skipped."""
    if not path.exists():
        return
    with open(path, "rb") as handle:
        offset = 0
        for raw in handle:
            start = offset
            offset += len(raw)
            if not raw.endswith(b"\n"):
                continue  # a line cut by an interruption
            try:
                yield start, json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue


def read_line_at(handle, offset: int) -> dict:
    handle.seek(offset)
    return json.loads(handle.readline())


class Store:
    def __init__(self, out: str | os.PathLike):
        self.dir = Path(out)
        self.done: dict[str, dict] = {}       # absolute path -> ledger record
        self._items = self._errors = self._ledger = None

    def path(self, name: str) -> Path:
        return self.dir / name

    # ------------------------------------------------------------------ opening, resuming
    def open(self, settings: dict, *, resume: bool, current: dict | None = None) -> None:
        """Prepare the folder. `current`: absolute path -> fingerprint of the letters of this run."""
        self.dir.mkdir(parents=True, exist_ok=True)
        run_file = self.path(RUN)
        has_run = self.path(LEDGER).exists() or run_file.exists()
        if resume and has_run:
            previous = self._read_run()
            if previous is not None and previous.get("settings") != settings:
                differ = sorted(k for k in set(previous.get("settings", {})) | set(settings)
                                if previous.get("settings", {}).get(k) != settings.get(k))
                raise AuditError(f"{self.dir} holds an audit made with other settings ({', '.join(differ)}); "
                                 "rerun with --no-resume to start over, or choose another --out",
                                 path=str(self.dir))
            self._load_ledger(current or {})
            self._compact()
        else:
            for name in (ITEMS, ERRORS, LEDGER, *REPORTS):
                try:
                    self.path(name).unlink()
                except FileNotFoundError:
                    pass
            self.done = {}
        if not run_file.exists() or not resume:
            run_file.write_text(json.dumps({"settings": settings}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self._items = open(self.path(ITEMS), "a", encoding="utf-8")
        self._errors = open(self.path(ERRORS), "a", encoding="utf-8")
        self._ledger = open(self.path(LEDGER), "a", encoding="utf-8")

    def _read_run(self) -> dict | None:
        try:
            return json.loads(self.path(RUN).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _load_ledger(self, current: dict) -> None:
        done: dict[str, dict] = {}
        for _, record in read_jsonl(self.path(LEDGER)):
            if isinstance(record, dict) and isinstance(record.get("path"), str):
                done[record["path"]] = record
        # a letter of this run whose file changed since it was done is done again
        for path, fingerprint in current.items():
            if path in done and done[path].get("fingerprint") != fingerprint:
                del done[path]
        self.done = done

    def _compact(self) -> None:
        """Keep only the lines of finished letters (each letter's lines once)."""
        shown = {record["letter"] for record in self.done.values()}
        for name in (ITEMS, ERRORS):
            source = self.path(name)
            if not source.exists():
                continue
            temp = self.path(name + ".tmp")
            with open(temp, "w", encoding="utf-8") as out:
                for _, record in read_jsonl(source):
                    if isinstance(record, dict) and record.get("letter") in shown:
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")
            os.replace(temp, source)
        temp = self.path(LEDGER + ".tmp")
        with open(temp, "w", encoding="utf-8") as out:
            for record in self.done.values():
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(temp, self.path(LEDGER))

    # ------------------------------------------------------------------ writing
    def is_done(self, path: str) -> bool:
        return path in self.done

    def record(self, result) -> None:
        """Write one letter's items and errors, then its ledger line (the commit)."""
        if result.lines:
            self._items.write("\n".join(result.lines) + "\n")
        for error in result.errors:
            self._errors.write(json.dumps(error, ensure_ascii=False) + "\n")
        self._items.flush()
        self._errors.flush()
        entry = {"path": result.path, "letter": result.shown, "fingerprint": result.fingerprint,
                 "status": result.status, "items": result.items, "errors": len(result.errors)}
        self._ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._ledger.flush()
        self.done[result.path] = entry

    def close(self) -> None:
        for handle in (self._items, self._errors, self._ledger):
            if handle is not None:
                handle.close()
        self._items = self._errors = self._ledger = None
