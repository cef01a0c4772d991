"""The per-letter work of an audit, run in worker processes (or in-process with one job).

Stage: audit (extract -> evaluate -> compare, for one letter). Input: a letter path and its
shown name; the rules and modes come from `init_worker`, which a process pool runs once per
worker, so rules are loaded and compiled once per process, never per letter. Output: a
`LetterResult` of already-serialised item lines and error records. Raises nothing: every
failure of a letter becomes an error record (the batch goes on).
"""
from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field

_STATE: dict = {}


@dataclass
class LetterResult:
    path: str
    shown: str
    fingerprint: list
    lines: list[str] = field(default_factory=list)      # items.jsonl lines (no newline)
    errors: list[dict] = field(default_factory=list)
    items: int = 0
    compared: int = 0
    agreeing: int = 0

    @property
    def status(self) -> str:
        if not self.errors:
            return "ok"
        return "partial" if self.items else "error"


def init_worker(rules_path, modes, ignore_interrupt: bool = True, rules=None) -> None:
    """Make the rules ready once for this process (the pool initializer).

    `rules`: an already compiled RuleSet to use. Otherwise, a RuleSet for the same rules path
    that this process already holds is kept: a worker forked from the parent, which prepared
    it (and warmed the extraction caches on the first letter) before starting the pool,
    inherits it ready to use. Failing both, the rules are loaded and compiled here, once.
    """
    if ignore_interrupt:
        # Ctrl-C goes to the whole process group: the parent handles it and stops the pool;
        # workers ignoring it avoids a traceback per worker.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    key = None if rules_path is None else str(rules_path)
    if rules is None:
        if _STATE.get("rules") is not None and _STATE.get("rules_path", "unset") == key:
            rules = _STATE["rules"]
        else:
            from ..loader import load_rules
            rules = load_rules(rules_path)
    _STATE["rules"] = rules
    _STATE["rules_path"] = key
    _STATE["modes"] = tuple(modes)


def _error(shown: str, mode: str | None, code: str, message: str) -> dict:
    return {"letter": shown, "mode": mode, "code": code, "message": message}


def process_letter(task: tuple[str, str, list]) -> LetterResult:
    """Extract, evaluate and compare every item of one letter, in every mode of the run."""
    from ..case import CaseInvalid, case_from_dict
    from ..errors import EngineError
    from ..evaluator import decide_case
    from ..extraction import LetterError, extract_case
    from .items import item_records

    path, shown, fingerprint = task
    rules, modes = _STATE["rules"], _STATE["modes"]
    result = LetterResult(path, shown, fingerprint)
    for mode in modes:
        try:
            data = extract_case(path, mode=mode)
            case = case_from_dict(data, file=shown)
            records = item_records(data, decide_case(rules, case), mode=mode, letter=shown)
        except LetterError as err:
            # the file itself is unreadable or not a letter: the same in every mode, say it once
            result.errors.append(_error(shown, None, err.code, err.message))
            break
        except CaseInvalid as err:
            detail = "; ".join(f"{e.path}: {e.message}" for e in err.errors[:5])
            result.errors.append(_error(shown, mode, err.code, f"the extracted case is invalid: {detail}"))
            continue
        except EngineError as err:
            result.errors.append(_error(shown, mode, err.code, err.message))
            continue
        except RecursionError:
            result.errors.append(_error(shown, mode, "internal_error", "RecursionError: the letter is too deeply nested"))
            continue
        except Exception as err:  # a bug on one letter must not stop the audit; it is reported
            result.errors.append(_error(shown, mode, "internal_error", f"{type(err).__name__}: {err}"))
            continue
        for record in records:
            result.lines.append(json.dumps(record, ensure_ascii=False))
            result.items += 1
            if record["agreement"] is not None:
                result.compared += 1
                result.agreeing += record["agreement"]
    return result
