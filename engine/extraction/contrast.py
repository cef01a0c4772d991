"""Scoring a findings contrast suite: short clinical sentences with the expected status of a few
finding concepts, each read inside a minimal IMR letter (tests/contrast/README.md).

Stage: measurement of extraction. Input: items `{id, phenomenon, section, request, text,
expect, note}` (JSON lines). Output: a `Score` with one `Pair` per (item, concept): the
expected and the read status, right or wrong. Raises `ContrastInvalid` when the measurement
itself would not be valid (the filler sentences yield a finding, or a request is not found as
written), as the suite's rules ask.

A concept's read status is the request's `findings[concept]` if there, else the case-level
`findings[concept]`, else `missing`; then the body region and side rule of `engine.regions`:
a statement about another region or the other side than the request's is `missing` for it.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..regions import statement_visible
from .pipeline import extract_text

FILLER_SUMMARY = "The injured worker is a 47 year old who was seen for a follow-up visit on 3/2/2016."
FILLER_RATIONALE = "The submitted records were reviewed."

_LETTER = """HOW THE IMR FINAL DETERMINATION WAS MADE

MAXIMUS Federal Services sent the complete case file to an expert reviewer.

The Expert Reviewer has the following credentials:
State(s) of Licensure: California
Certification(s)/Specialty: Physical Medicine & Rehabilitation

CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:

{summary}

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

{items}"""

_ITEM = """{request}: Upheld

Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009.

Decision rationale: {rationale}
"""


class ContrastInvalid(ValueError):
    """The suite cannot be scored: the filler yields a finding or a request is not found."""


@dataclass(frozen=True)
class Pair:
    item: str
    group: str
    concept: str
    expected: str
    read: str
    note: str = ""

    @property
    def right(self) -> bool:
        return self.expected == self.read


@dataclass
class Score:
    pairs: list[Pair] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(p.right for p in self.pairs)

    @property
    def total(self) -> int:
        return len(self.pairs)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0

    def by(self, key) -> dict[str, tuple[int, int]]:
        right: Counter = Counter()
        total: Counter = Counter()
        for p in self.pairs:
            total[key(p)] += 1
            right[key(p)] += p.right
        return {k: (right[k], total[k]) for k in sorted(total)}

    def report(self, name: str) -> str:
        lines = [f"contrast {name}: {self.right}/{self.total} = {100 * self.rate:.1f}%", "",
                 "| group | accuracy |", "| --- | --- |"]
        for group, (r, t) in self.by(lambda p: p.group).items():
            lines.append(f"| {group} | {r}/{t} = {100 * r / t:.1f}% |")
        lines += ["", "| expected | accuracy |", "| --- | --- |"]
        for status, (r, t) in self.by(lambda p: p.expected).items():
            lines.append(f"| {status} | {r}/{t} = {100 * r / t:.1f}% |")
        return "\n".join(lines)

    def wrong(self) -> list[Pair]:
        return [p for p in self.pairs if not p.right]


def load_items(path) -> list[dict]:
    """The items of a JSON-lines suite file; a bad line is a ValueError naming the file and line."""
    items = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from None
            missing = {"id", "phenomenon", "section", "request", "text", "expect"} - set(item)
            if missing:
                raise ValueError(f"{path}:{number}: missing {', '.join(sorted(missing))}")
            items.append(item)
    return items


def _collapse(text: str) -> str:
    return " ".join(text.split())


def letter_for(item: dict) -> str:
    """The minimal letter an item is read in (tests/contrast/README.md, "The letter")."""
    text = _collapse(item["text"])
    if item["section"] == "summary":
        summary, rationale = f"{FILLER_SUMMARY}\n\n{text}", FILLER_RATIONALE
    else:
        summary, rationale = FILLER_SUMMARY, text
    return _LETTER.format(summary=summary, items=_ITEM.format(request=item["request"], rationale=rationale))


def _request_of(case: dict, request_text: str) -> dict | None:
    wanted = _collapse(request_text)
    for request in case.get("requests", []):
        if _collapse(request.get("text", "")) == wanted:
            return request
    return None


def check_valid(items: list[dict], extract=extract_text) -> None:
    """The suite's precondition: one letter with every request and the filler rationale yields
    no finding, and every request is found as written."""
    summary = FILLER_SUMMARY
    body = "\n".join(_ITEM.format(request=item["request"], rationale=FILLER_RATIONALE) for item in items)
    case = extract(_LETTER.format(summary=summary, items=body), source="contrast-filler", mode="full")
    if case.get("findings") or any(r.get("findings") for r in case.get("requests", [])):
        raise ContrastInvalid("the filler sentences yield findings: the measurement would not be valid")
    for item in items:
        if _request_of(case, item["request"]) is None:
            raise ContrastInvalid(f"{item['id']}: request {item['request']!r} is not found as written")


def read_status(case: dict, request: dict, concept: str) -> str:
    finding = (request.get("findings") or {}).get(concept) or (case.get("findings") or {}).get(concept)
    if finding is None or not statement_visible(finding, request):
        return "missing"
    return finding["status"]


def score(items: list[dict], extract=extract_text, validate: bool = True) -> Score:
    """Read every item in its letter and compare each expected status (see the module docstring)."""
    if validate:
        check_valid(items, extract)
    result = Score()
    for item in items:
        group = item["phenomenon"].split("-", 1)[0]
        try:
            case = extract(letter_for(item), source=item["id"], mode="full")
            request = _request_of(case, item["request"])
        except ValueError:
            case, request = None, None
        for concept, expected in item["expect"].items():
            read = "error" if request is None else read_status(case, request, concept)
            result.pairs.append(Pair(item["id"], group, concept, expected, read, item.get("note", "")))
    return result


def main(argv=None) -> int:
    import argparse
    parser = argparse.ArgumentParser(description="Score findings contrast suites.")
    parser.add_argument("suites", nargs="+", metavar="SUITE.jsonl")
    parser.add_argument("--wrong", action="store_true", help="list every wrong pair")
    args = parser.parse_args(argv)
    for path in args.suites:
        items = load_items(path)
        result = score(items)
        print(result.report(Path(path).stem))
        if args.wrong:
            texts = {item["id"]: item for item in items}
            for p in result.wrong():
                item = texts[p.item]
                print(f"- {p.item} [{item['phenomenon']}] {p.concept}: expected {p.expected}, read {p.read}"
                      f" | {item['request']} | {_collapse(item['text'])}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
