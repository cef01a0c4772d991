"""Audit: run decided IMR letters through the engine and compare with the reviewers' decisions.

Stage: audit, the last arrow of the flow (docs/audit.md). Input: letters (.txt/.pdf files,
folders, glob patterns). Output: a folder with items.jsonl, items.csv, errors.jsonl,
summary.json, report.md and a self-contained report.html. Raises `ErrorList` for rules with
problems and `AuditError` for an output folder made with other settings; a bad letter never
stops a run (it is recorded in errors.jsonl).

    from engine.audit import run_audit
    run = run_audit(["letters/"], "audit-out", modes=("summary", "full"))
    run.summary["results"]["summary"]["overall"]["agreement"]

Modules, in the order of the work: `inputs` (which files), `worker` (one letter: extract,
evaluate, compare), `items` (the per-item record), `reasons` (reason agreement), `store`
(streamed output, resume), `runner` (the process pool), `summary` and `metrics` (the figures),
`report` and `charts` (the files people read), `progress`, `command` (`mtus audit`).
"""
from .metrics import Confusion, cohen_kappa, majority_baseline, wilson_interval
from .runner import AuditRun, run_audit
from .store import AuditError

__all__ = ["run_audit", "AuditRun", "AuditError", "Confusion", "cohen_kappa", "majority_baseline",
           "wilson_interval"]
