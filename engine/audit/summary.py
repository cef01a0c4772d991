"""The audit's figures, computed by streaming the output folder once.

Stage: audit (aggregation). Input: the folder written by `Store` (letters.jsonl, items.jsonl,
errors.jsonl). Output: the `summary.json` document (deterministic: the same items give the
same bytes, whatever order the workers finished in) and `Listing`s: the byte offsets of the
items the reports list one by one (disagreements, no-rule items), sorted, so reports can
read them back without holding every item. Raises nothing for a folder `Store` wrote.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .metrics import Confusion, figures
from .store import ERRORS, ITEMS, LEDGER, read_jsonl

MODE_ORDER = {"summary": 0, "full": 1}
NO_SECTION = "(no section cited)"
NO_GUIDELINE = "(no guideline cited)"


@dataclass
class Tally:
    items: int = 0
    no_rule: int = 0
    no_rule_overturned: int = 0
    no_rule_upheld: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    reason_eligible: int = 0
    reason_matched: int = 0

    def add(self, item: dict) -> None:
        self.items += 1
        actual = item.get("actual")
        if item["predicted"] == "no_rule":
            self.no_rule += 1
            if actual == "overturned":
                self.no_rule_overturned += 1
            elif actual == "upheld":
                self.no_rule_upheld += 1
            return
        predicted_overturn = item["predicted"] == "certify"
        if actual == "overturned":
            if predicted_overturn:
                self.tp += 1
            else:
                self.fn += 1
        elif actual == "upheld":
            if predicted_overturn:
                self.fp += 1
            else:
                self.tn += 1
        reasons = item.get("reasons") or {}
        if reasons.get("eligible"):
            self.reason_eligible += 1
            self.reason_matched += bool(reasons.get("matched"))

    def figures(self) -> dict:
        return figures(items=self.items, no_rule=self.no_rule, confusion=Confusion(self.tp, self.fp, self.fn, self.tn),
                       no_rule_overturned=self.no_rule_overturned, no_rule_upheld=self.no_rule_upheld,
                       reason_eligible=self.reason_eligible, reason_matched=self.reason_matched)


def _natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text or "")]


def item_key(item: dict) -> tuple:
    """Reports list items by letter, request number, then mode."""
    return (item.get("letter") or "", _natural(item.get("request_id") or ""), MODE_ORDER.get(item.get("mode"), 9),
            item.get("mode") or "")


def drug_group(item: dict) -> str:
    if item.get("drug_class"):
        return item["drug_class"]
    if item.get("kind") and item["kind"] != "drug":
        return f"(not a drug: {item['kind']})"
    return "(drug class unknown)"


def _clean(text: str) -> str:
    return " ".join(str(text).split()).strip(" .;,")


def section_groups(item: dict) -> list[str]:
    """Each distinct section the reviewer cited (an item citing two counts in both)."""
    sections = sorted({_clean(s) for s in item.get("reviewer_sections") or [] if _clean(s)})
    return sections or [NO_SECTION]


def guideline_groups(item: dict) -> list[str]:
    guidelines = sorted({_clean(g) for g in item.get("reviewer_guidelines") or [] if _clean(g)})
    return guidelines or [NO_GUIDELINE]


@dataclass
class Listing:
    """Sorted (key, byte offset in items.jsonl) of the items a report lists one by one."""

    disagreements: dict = field(default_factory=dict)    # mode -> [(key, offset)]
    no_rule: dict = field(default_factory=dict)          # mode -> [(key, offset)]
    errors: list = field(default_factory=list)           # [(key, offset in errors.jsonl)]


def summarize(out: str | Path, *, settings: dict | None = None) -> tuple[dict, Listing]:
    """The summary document and the listings, from the folder `out`."""
    out = Path(out)
    letters = Counter()
    letter_items = 0
    for _, record in read_jsonl(out / LEDGER):
        letters[record.get("status", "ok")] += 1
        letter_items += record.get("items", 0)
    overall: dict[str, Tally] = {}
    by: dict[str, dict[str, dict[str, Tally]]] = {}
    listing = Listing()
    sources = Counter()
    for offset, item in read_jsonl(out / ITEMS):
        sources[item.get("source") or "letter"] += 1
        mode = item.get("mode") or "?"
        overall.setdefault(mode, Tally()).add(item)
        groups = by.setdefault(mode, {"drug_class": {}, "section": {}, "guideline": {}})
        groups["drug_class"].setdefault(drug_group(item), Tally()).add(item)
        for section in section_groups(item):
            groups["section"].setdefault(section, Tally()).add(item)
        for guideline in guideline_groups(item):
            groups["guideline"].setdefault(guideline, Tally()).add(item)
        if item.get("agreement") is False:
            missed = 0 if item.get("actual") == "overturned" else 1   # missed overturns first
            listing.disagreements.setdefault(mode, []).append(((missed,) + item_key(item), offset))
        if item.get("predicted") == "no_rule":
            listing.no_rule.setdefault(mode, []).append((item_key(item), offset))
    error_codes = Counter()
    for offset, error in read_jsonl(out / ERRORS):
        error_codes[error.get("code", "?")] += 1
        listing.errors.append(((error.get("letter") or "", MODE_ORDER.get(error.get("mode"), -1), error.get("code")),
                               offset))
    for lists in (listing.disagreements, listing.no_rule):
        for entries in lists.values():
            entries.sort()
    listing.errors.sort()
    modes = sorted(overall, key=lambda m: (MODE_ORDER.get(m, 9), m))
    results = {}
    for mode in modes:
        results[mode] = {
            "overall": overall[mode].figures(),
            "by_drug_class": {k: by[mode]["drug_class"][k].figures() for k in sorted(by[mode]["drug_class"])},
            "by_section": {k: by[mode]["section"][k].figures() for k in sorted(by[mode]["section"])},
            "by_guideline": {k: by[mode]["guideline"][k].figures() for k in sorted(by[mode]["guideline"])},
        }
    from .. import __version__
    document = {
        "engine": {"name": "mtus-engine", "version": __version__},
        "settings": settings or {},
        "letters": {"total": sum(letters.values()), "ok": letters.get("ok", 0),
                    "partial": letters.get("partial", 0), "errored": letters.get("error", 0)},
        "items": {"total": letter_items, "by_mode": {m: overall[m].items for m in modes}},
        # items from generated letters (engine.synthetic): never to be read as real-letter figures
        "synthetic_items": sources.get("synthetic", 0),
        "errors": {"total": sum(error_codes.values()), "by_code": dict(sorted(error_codes.items()))},
        "modes": modes,
        "results": results,
    }
    return document, listing


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
