"""Which body part and side a clinical statement is about.

Stage: extraction (context). Input: a sentence's lower-cased clean text and a mention in it.
Output: the body part ids (rules/vocab/body_parts.yaml) and the side the clause ties the mention
to, or none. Places come from the body-part `phrases` and spinal-level `patterns`, and in
clinical text also from `anatomy` (muscles, landmarks: "extensor hallucis longus" is the leg)
and `signs` (a Spurling test is a neck sign).

A mention takes the places inside its own span, the one right before it ("lumbar paraspinal
spasm", "left Achilles tendinitis") and the run right after it ("numbness in the thumb and index
finger of the right hand"); failing those, the one region its clause names. Two regions in the
clause and none next to the mention give none: an unplaced statement stays visible to every
request (engine/regions.py), a wrongly placed one would be hidden from the right one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from ..paths import vocab_dir
from .phrases import WORD_RE
from .sentences import word_count

_SIDES = {"left": "left", "lt": "left", "right": "right", "rt": "right", "bilateral": "bilateral",
          "bilaterally": "bilateral", "both": "bilateral", "bilat": "bilateral"}
_SIDE_RIGHT_AFTER = re.compile(r"\s*(?:(?:on|in|at|of|to)\s+)?(?:the\s+)?(left|lt|right|rt|bilateral|bilaterally|both)(?![\w])")
_SIDE_WORDS = re.compile(r"(?<![\w])(left|lt|right|rt|bilateral|bilaterally|both|bilat)(?![\w])")
_SIDE_AFTER = re.compile(r"\s*,?\s*(?:on\s+the\s+)?(left|right|bilaterally|bilateral)\b")
# "back" names the low back except in phrases such as "back to work", "came back", "back of".
_NOT_BACK = re.compile(r"\bback\s+(?:to|at|in|into|from|on|up|down|then|and forth|of)\b|"
                       r"\b(?:came|come|comes|went|go|goes|going|get|got|gets|bring|brought|call|called|"
                       r"report|reported|put|set|cut|hold|held|paid|pay|step|stepped|looking|look|looked|"
                       r"turned|turn|flashed|fall|fell|falling|feed|write|wrote)\s+back\b")
_PLURALS = {"extremities", "knees", "shoulders", "hands", "wrists", "elbows", "hips", "ankles", "feet", "legs", "arms"}


@dataclass(frozen=True)
class Place:
    start: int
    end: int
    part: str
    side: str | None


class Anatomy:
    """The body-part vocabulary for clinical text, compiled once (`default_anatomy()`)."""

    def __init__(self, terms: list[dict]):
        entries: dict[tuple[str, ...], tuple[str, str | None]] = {}
        patterns: list[tuple[re.Pattern[str], str]] = []
        for term in terms:
            part = term["id"]
            for key in ("phrases", "anatomy", "signs"):
                for item in term.get(key) or []:
                    phrase, side = (item["phrase"], item.get("side")) if isinstance(item, dict) else (item, None)
                    words = tuple(WORD_RE.findall(phrase.lower()))
                    if words:
                        entries.setdefault(words, (part, side))
            for pattern in term.get("patterns") or []:
                patterns.append((re.compile(pattern, re.I), part))
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for words in entries:
            self.by_first.setdefault(words[0], []).append(words)
            if len(words) == 1 and words[0].isalpha() and len(words[0]) >= 3:
                self.by_first.setdefault(words[0] + "s", []).append(words)
        for options in self.by_first.values():
            options.sort(key=len, reverse=True)
        self.entries = entries
        self.patterns = patterns
        self.any_pattern = _any_of([regex for regex, _ in patterns])

    def places(self, text: str) -> list[Place]:
        """Every place named in a lower-cased text, in order, not overlapping."""
        words = [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text)]
        found: list[Place] = []
        i, n = 0, len(words)
        while i < n:
            hit = None
            for option in self.by_first.get(words[i][2], ()):
                size = len(option)
                if i + size <= n and all(words[i + k][2] == option[k] for k in range(1, size)):
                    hit = option
                    break
            if hit is None:
                i += 1
                continue
            start, end = words[i][0], words[i + len(hit) - 1][1]
            part, side = self.entries[hit]
            if hit == ("back",) and _NOT_BACK.search(text, max(0, start - 12), min(len(text), end + 12)):
                i += 1
                continue
            found.append(Place(start, end, part, side or _side_of(text, start, end, words[i + len(hit) - 1][2])))
            i += len(hit)
        patterns = self.patterns if self.any_pattern is None or self.any_pattern.search(text) else ()
        for regex, part in patterns:
            for m in regex.finditer(text):
                if all(m.end() <= p.start or m.start() >= p.end for p in found):
                    found.append(Place(m.start(), m.end(), part, _side_of(text, m.start(), m.end(), "")))
        found.sort(key=lambda p: p.start)
        return found


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that finds a match where any of `patterns` has one: a text holding none (most
    sentences) costs one scan instead of one per pattern. None when they cannot be joined (a
    back-reference would refer to another group once joined, a flag must stay first)."""
    if not patterns or any(re.search(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]+\)", p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.I)
    except re.error:
        return None


def _side_of(text: str, start: int, end: int, last_word: str) -> str | None:
    before = WORD_RE.findall(text[max(0, start - 24):start])[-2:]
    for word in reversed(before):
        if word in _SIDES:
            return _SIDES[word]
    after = _SIDE_AFTER.match(text, end)
    if after:
        return _SIDES[after.group(1)]
    if last_word in _PLURALS:
        return "bilateral"
    return None


def side_near(text: str, start: int, end: int) -> str | None:
    """The side written right by a word at [start, end): just after it ("positive on the left",
    "positive bilaterally") or just before it ("left positive"); None when none is."""
    after = _SIDE_RIGHT_AFTER.match(text, end)
    if after:
        return _SIDES[after.group(1)]
    before = list(_SIDE_WORDS.finditer(text, max(0, start - 16), start))
    if before and _words_between(text, before[-1].end(), start) == 0:
        return _SIDES[before[-1].group(1)]
    return None


def phrase_region(text: str) -> tuple[list[str], str | None]:
    """The body parts and side a short phrase names ("right knee medial meniscus tear", "12 sessions
    of physical therapy for the lumbar spine"): every place in it, and its side when one side, or
    both, is named."""
    places = default_anatomy().places(text.lower())
    parts = list(dict.fromkeys(p.part for p in places))
    sides = {p.side for p in places if p.side}
    if not sides:
        return parts, None
    return parts, sides.pop() if len(sides) == 1 else "bilateral"


@lru_cache(maxsize=1)
def default_anatomy() -> Anatomy:
    with open(vocab_dir() / "body_parts.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return Anatomy([t for t in data.get("terms") or [] if isinstance(t, dict) and t.get("id")])


def _words_between(text: str, a: int, b: int) -> int:
    return len(WORD_RE.findall(text[a:b])) if b > a else 0


def region(places: list[Place], text: str, start: int, end: int, clause: tuple[int, int]) -> tuple[list[str], str | None]:
    """The body parts and side the clause ties the mention at [start, end) to (see the module docstring)."""
    cs, ce = clause
    local = [p for p in places if cs <= p.start and p.end <= ce]
    chosen = [p for p in local if start <= p.start and p.end <= end]
    # the list item the mention is in ("tenderness of the left scapula, decreased range of motion
    # of the cervical spine"): a place before it in another item is that item's
    item_start = max(cs, text.rfind(",", cs, start) + 1, text.rfind(";", cs, start) + 1)
    item_end = min((i for i in (text.find(",", end, ce), text.find(";", end, ce)) if i >= 0), default=ce)
    # ... but a short phrase fronted before the clause's first comma ("On the left, ...", "Examining
    # the left shoulder, ...") sets the place of everything after it
    first_comma = text.find(",", cs, start)
    fronted = (cs, first_comma) if first_comma >= 0 and word_count(text[cs:first_comma]) <= 5 else (cs, cs)
    before = [p for p in local if (item_start <= p.start or fronted[0] <= p.start < fronted[1])
              and p.end <= start and (_words_between(text, p.end, start) <= 3 or p.end <= fronted[1])]
    if before:
        chosen.append(before[-1])
    after = [p for p in local if p.start >= end]
    if after and _words_between(text, end, after[0].start) <= 8:
        run = [after[0]]
        for p in after[1:]:
            if _words_between(text, run[-1].end, p.start) > 4:
                break
            run.append(p)
        chosen.extend(run)
    if not chosen and local and len({p.part for p in local}) == 1:
        chosen = local
    parts = list(dict.fromkeys(p.part for p in sorted(chosen, key=lambda p: p.start)))
    sides = {p.side for p in chosen if p.side}
    clause_sides = {_SIDES[m.group(1)] for span in ((item_start, item_end), fronted)
                    for m in _SIDE_WORDS.finditer(text, *span)}
    if not sides:
        sides = clause_sides
    if not sides and parts:
        # "left shoulder labral tear, possible rotator cuff tear": the clause gave the same part
        # one side before the mention, and no other part a side (a side after it may be the
        # other side's, compared: "more translation than the uninjured left ankle")
        same = {p.side for p in local if p.side and p.part in parts and p.end <= start}
        if len(same) == 1 and not any(p.side and p.part not in parts for p in local):
            sides = same
    elif {"left", "right"} <= clause_sides and not {"left", "right"} <= sides:
        return parts, None        # the clause names both sides ("lifting the left leg ... down the right"): unsure
    side = None
    if len(sides) == 1:
        side = sides.pop()
    elif {"left", "right"} <= sides or "bilateral" in sides:
        side = "bilateral"
    return parts, side
