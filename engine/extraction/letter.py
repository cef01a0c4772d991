"""Splitting a normalised IMR letter into its parts.

Input: normalised letter text (`reader.normalise_text`). Output: a `Letter` holding the
header fields, the reviewer's credentials, the span of the clinical case summary and one
`Item` per disputed item (its line, outcome, partial authorization, guideline lines and
decision rationale), every part with its character span in the text. Raises `LetterError`
(`not_a_letter`) when no item line with an outcome is found.

Every word this module looks for is data in `rules/vocab/letter_structure.yaml`; the
patterns are compiled once, when the module is imported.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import re
from dataclasses import dataclass, field

from .literal_gate import Gated
from .reader import STRUCTURE_FILE, LetterError
from .reader import STRUCTURE as S



# --------------------------------------------------------------------------- pattern helpers

_WORD_GAP = r"\s+"
# One word inside a sentence: a period is allowed only when no space follows it (7.5mg).
_INNER_WORD = r"(?:[^\s.]|\.(?=\S))+"


def _phrase(text: str) -> str:
    """A phrase as a pattern: words separated by any whitespace; `*` stands for a few words."""
    parts = []
    for word in text.split():
        if word == "*":
            parts.append(rf"(?:{_INNER_WORD}\s+){{0,30}}?")
            continue
        parts.append(re.escape(word) + _WORD_GAP)
    pattern = "".join(parts)
    return pattern[: -len(_WORD_GAP)] if pattern.endswith(_WORD_GAP) else pattern


def _alternation(phrases) -> str:
    return "|".join(_phrase(p) for p in sorted(phrases, key=len, reverse=True))


def _loose_word(word: str) -> str:
    """A word that may carry one stray space between its letters ("Up held")."""
    return r"\s?".join(re.escape(ch) for ch in word)


def _heading_re(names) -> re.Pattern:
    return re.compile(rf"(?im)^[ \t]*(?:{_alternation(names)})[ \t]*:?[ \t]*$")


_HEADINGS = {name: _heading_re(phrases) for name, phrases in S["headings"].items()}
_ANY_HEADING = re.compile(
    rf"(?im)^[ \t]*(?:{_alternation([p for ps in S['headings'].values() for p in ps])})[ \t]*:?[ \t]*$")

_HEADER_FIELD_BY_LABEL: dict[str, str] = {}
for _field, _labels in S["header_labels"].items():
    for _label in _labels:
        _HEADER_FIELD_BY_LABEL[" ".join(_label.lower().split())] = _field
_HEADER_LABEL = re.compile(
    rf"(?i)(?<![A-Za-z])(?P<label>{_alternation(_HEADER_FIELD_BY_LABEL)})\s*:")

_CREDENTIAL_FIELD_BY_LABEL: dict[str, str] = {}
for _field, _labels in S["credential_labels"].items():
    for _label in _labels:
        _CREDENTIAL_FIELD_BY_LABEL[" ".join(_label.lower().split())] = _field
_CREDENTIAL_LABEL = re.compile(
    rf"(?i)(?<![A-Za-z/])(?P<label>{_alternation(_CREDENTIAL_FIELD_BY_LABEL)})\s*:")
_CRED_PHRASES = S["credential_phrases"]
_PROSE_SPECIALTY = re.compile(rf"(?i)\b(?:{_alternation(_CRED_PHRASES['specialty'])})\s+(?P<v>[^,.;]+?)(?=\s*[,.;]|\s+and\s+)")
_PROSE_SUBSPECIALTY = re.compile(
    rf"(?i)\b(?:{_alternation(_CRED_PHRASES['subspecialty'])})\s+(?P<v>[^,.;]+?)(?=\s+and\s+is\b|\s*[,.;])")
_PROSE_LICENSURE = re.compile(rf"(?i)\b(?:{_alternation(_CRED_PHRASES['licensure'])})\s+(?P<v>[^.;]+)")


def _first_words(phrases) -> list[str] | None:
    """The lower-case first words of `phrases`: every match of their `_alternation` starts
    with one of them. None (no shortcut) when a phrase starts with `*`, which matches other
    words first, or a first word is not ASCII (see `_matches_at_words`)."""
    words = {p.split()[0].lower() for p in phrases}
    if "*" in words or not all(w.isascii() for w in words):
        return None
    # a word that starts with another one ("states", "state") is found with it
    return sorted(w for w in words if not any(w != v and w.startswith(v) for v in words))


_CREDENTIAL_LABEL_WORDS = _first_words(_CREDENTIAL_FIELD_BY_LABEL)
_PROSE_WORDS = {"specialty": _first_words(_CRED_PHRASES["specialty"]),
                "subspecialty": _first_words(_CRED_PHRASES["subspecialty"]),
                "licensure": _first_words(_CRED_PHRASES["licensure"])}

# The last word of each label ("licensure", "specialty") and of each prose phrase.
_CREDENTIAL_ANCHORS = sorted({label.split()[-1].split("/")[-1] for label in _CREDENTIAL_FIELD_BY_LABEL})
_PROSE_ANCHORS = sorted({max(p.lower().split(), key=len) for ps in _CRED_PHRASES.values() for p in ps})
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*")

_ITEM_FIELD_BY_LABEL: dict[str, str] = {}
for _field, _labels in S["item_labels"].items():
    for _label in _labels:
        _ITEM_FIELD_BY_LABEL[" ".join(_label.lower().split())] = _field
_ITEM_LABEL = re.compile(rf"(?im)^[ \t]*(?P<label>{_alternation(_ITEM_FIELD_BY_LABEL)})[ \t]*:")

_OUTCOME_BY_WORD = {w.lower(): key for key, words in S["outcomes"].items() for w in words}
_OUTCOME = re.compile(
    r"(?i)(?P<sep>[ \t]*(?::|[ \t]-)[ \t\n]*)(?P<word>"
    + "|".join(_loose_word(w) for w in sorted(_OUTCOME_BY_WORD, key=len, reverse=True))
    + r")\.?[ \t]*(?=\n|\Z)")

_SUMMARY_INTRO = re.compile(rf"(?i)\A\s*(?:{_alternation(S['boilerplate']['summary_intro'])})\s*")
_DECISIONS_INTRO = re.compile(rf"(?i)\A\s*(?:{_alternation(S['boilerplate']['decisions_intro'])})\s*")

_PA = S["partial_authorization"]
_PA_ORIGINAL = re.compile(rf"(?is)^(?P<v>.+?)\s+(?:{_alternation(_PA['original_after'])})\s*\.\s*")
_PA_ORIGINAL_ANY = re.compile(rf"(?i)\b(?:{_alternation(_PA['original_after'])})\b")
_PA_AUTH_AFTER = re.compile(rf"(?is)^(?P<v>.+?)\s+(?:{_alternation(_PA['authorized_after'])})\s*\.\s*")
_PA_AUTH_BEFORE = re.compile(
    rf"(?is)^(?:{_alternation(_PA['authorized_before'])})\s+(?P<v>.+?)"
    rf"(?:\s*,?\s*(?:{_alternation(_PA['authorized_end'])}))?\s*\.\s*")
_PA_REMAINDER = re.compile(rf"(?is)^(?:{_alternation(_PA['remainder_before'])})\s*,?\s*")
_PA_MARKERS = re.compile(
    rf"(?i)(?:{_alternation(_PA['authorized_after'] + _PA['authorized_before'] + _PA['authorized_end'])})")
_TRAILING_IS = re.compile(r"(?i)\s+is\s*:?\s*$")

_VERDICT_ANCHORS = tuple(sorted({a.lower() for a in S["verdict"]["anchors"]}))


def _verdict_table() -> dict[str, list[tuple[tuple[str, ...], re.Pattern]]]:
    """anchor -> [(words before the anchor, pattern of the anchor and what follows)], the
    longest phrases first."""
    table: dict[str, list] = {}
    for phrase in S["verdict"]["phrases"]:
        words = phrase.split()
        lowered = [w.lower() for w in words]
        index = next((i for i, w in enumerate(lowered) if w in _VERDICT_ANCHORS), None)
        if index is None:
            raise ValueError(f"{STRUCTURE_FILE}: verdict phrase {phrase!r} holds none of the anchors")
        if "*" in words[:index]:
            raise ValueError(f"{STRUCTURE_FILE}: verdict phrase {phrase!r}: `*` must come after the anchor")
        after = re.compile(rf"(?i){_phrase(' '.join(words[index:]))}\b")
        table.setdefault(lowered[index], []).append((tuple(lowered[:index]), after, len(phrase)))
    return {a: [(b, p) for b, p, _ in sorted(v, key=lambda e: -e[2])] for a, v in table.items()}


_VERDICT_TABLE = _verdict_table()
_VERDICT_BEFORE = 200          # characters looked at before an anchor for the words before it


def _verdict_at(text: str, low: str, pos: int, anchor: str) -> tuple[int, int] | None:
    """The longest verdict phrase around the anchor word at `pos`, as a span."""
    if pos > 0 and low[pos - 1].isalnum():          # inside a longer word ("unnecessary")
        return None
    preceding = None
    best = None
    for before, after in _VERDICT_TABLE[anchor]:
        match = after.match(text, pos)
        if match is None:
            continue
        start = pos
        if before:
            if preceding is None:
                # the words right before the anchor (none if it is glued to the word before)
                window = low[max(0, pos - _VERDICT_BEFORE):pos]
                preceding = window.split() if window[-1:].isspace() else []
            if len(preceding) < len(before) or tuple(preceding[-len(before):]) != before:
                continue
            # the start of the first word before the anchor
            start = pos
            for word in reversed(before):
                start = low.rfind(word, 0, start)
        span = (start, match.end())
        if best is None or span[1] - span[0] > best[1] - best[0]:
            best = span
    return best


def has_verdict(text: str) -> bool:
    """True when `text` holds a verdict phrase."""
    low = text.lower()
    if not any(anchor in low for anchor in _VERDICT_ANCHORS):
        return False
    return bool(verdict_spans(text, 0, len(text)))


_OUTCOME_ANCHORS = sorted({w.lower()[-4:] for w in _OUTCOME_BY_WORD})   # "held", "rned"
_LABEL_ANCHORS = sorted({label.lower().split()[-1] for label in _ITEM_FIELD_BY_LABEL})
_LABEL_COLON = re.compile(r"[ \t]*:")     # what follows an item label's last word
_HEADING_PHRASES = {name: [" ".join(p.lower().split()) for p in phrases] for name, phrases in S["headings"].items()}

_ABBREVIATIONS = frozenset(a.lower().rstrip(".") for a in S["abbreviations"])
# The end of a sentence, read backwards from the end of a line (whitespace stripped): closing
# quotes or brackets, a ".", "!" or "?", and the word before it, as the forward search
# r"(?P<word>[A-Za-z0-9.#/%-]*)[.!?][\"')\]]*$" finds them (the closers are neither
# punctuation nor word characters, so the punctuation is the last other character and the
# word its longest run before it), without that search's retries at every character.
_SENTENCE_END_REVERSED = re.compile(r"[\"')\]]*[.!?](?P<word>[A-Za-z0-9.#/%-]*)")

_G = S["guideline"]
_CLAUSE_LEAD = re.compile(rf"(?i)\b(?:{_alternation(_G['clause_lead'])})\s+")
# The first words of the clause leads: every lead starts with one of them (None when a lead
# starts with `*`, which matches other words first).
_CLAUSE_LEAD_WORDS = (None if any(p.split()[0] == "*" for p in _G["clause_lead"])
                      else sorted({p.split()[0].lower() for p in _G["clause_lead"]}))
_MTUS_LEAD = re.compile(rf"(?i)^(?:{_alternation(_G['mtus_lead'])})\b\s*")
_NON_MTUS_LEAD = re.compile(rf"(?i)^(?:{_alternation(_G['non_mtus_lead'])})\b\s*[:,-]?\s*")
_ODG_NAME = re.compile(rf"(?i)^(?:{_alternation(_G['odg_names'])})(?:\s*\([^)]*\))?\s*[,:-]?\s*")
_SECTION_LABEL = re.compile(rf"(?i)(?:{_alternation(_G['section_labels'])})\s*:\s*")
_PAGE_LABEL = re.compile(rf"(?i)(?:{_alternation(_G['page_labels'])})\s*:\s*")
# A word every page (section) label holds, or "" (no shortcut) when they share none.
_PAGE_LABEL_WORD = "page" if all("page" in p.lower() for p in _G["page_labels"]) else ""
_SECTION_LABEL_WORD = "section" if all("section" in p.lower() for p in _G["section_labels"]) else ""
_PAGE_LABEL_WORDS = _first_words(_G["page_labels"])
_SECTION_LABEL_WORDS = _first_words(_G["section_labels"])
_PAGES_VALUE = re.compile(r"\d[\d\s,\-]*\d|\d")
_SECTION_TITLES = {" ".join(t.lower().split()): t for t in _G["section_titles"]}
_MAX_TITLE_PIECES = max((t.count(",") + 1 for t in _SECTION_TITLES), default=1)
# A guideline's name: capitalised words ending at a year, "Guidelines" or "Complaints".
_GUIDELINE_NAME = (
    r"(?:ACOEM\s+)?(?:Chapter\s+\d+\s+)?[A-Z][A-Za-z&'/-]*"
    r"(?:,?\s+(?:and\s+|&\s+)?[A-Z][A-Za-z&'/-]*){0,8}?"
    r"(?:\s*\b(?:19|20)\d\d\b(?:\s+Guidelines\b)?|\s+Guidelines\b|\s+Complaints\b(?:\s+(?:19|20)\d\d\b)?)")
_NAME_AT_START = re.compile(rf"^\s*(?P<name>{_GUIDELINE_NAME})")
_NEXT_GUIDELINE = re.compile(rf"(?:,\s*and\s+|,\s*|\s+and\s+)(?P<name>{_GUIDELINE_NAME})(?=\s*(?:,|\.|$|Section|Page|[A-Z]))")
# another guideline may follow; skipped (see literal_gate) on text without "19", "20",
# "guidelines" or "complaints"
_MORE_NAMES = Gated(re.compile(r"\b(?:19|20)\d\d\b|Guidelines|Complaints"))
_AND_CAPITAL = re.compile(r"(?<=\))\s+and\s+(?=[A-Z])")
_YEAR_GUIDELINES = re.compile(r"\b((?:19|20)\d\d)\s+Guidelines\b")
_MAX_ITEM_LINES = 8
_MAX_ITEM_CHARS = 700


# --------------------------------------------------------------------------- results

@dataclass
class Part:
    """A labelled part of a letter: its text (whitespace collapsed) and its span."""

    text: str
    start: int
    end: int


@dataclass
class Citation:
    guidelines: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    pages: str | None = None


@dataclass
class Item:
    """One disputed item: its line, the reviewer's outcome and the parts of its block."""

    start: int                      # the item line (without the outcome)
    end: int
    text: str                       # the item line, whitespace collapsed
    request: str                    # what is disputed: the remainder of a partial authorization
    outcome: str | None             # "upheld" | "overturned" | None
    outcome_span: tuple[int, int] | None = None
    block_end: int = 0
    original_request: str | None = None
    authorized: str | None = None
    claims_administrator_guideline: Part | None = None
    reviewer_guideline: Part | None = None
    rationale: Part | None = None
    citation: Citation = field(default_factory=Citation)


@dataclass
class Letter:
    text: str
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    header: dict[str, Part] = field(default_factory=dict)
    licensure: list[str] = field(default_factory=list)
    specialty: Part | None = None
    licensure_span: tuple[int, int] | None = None
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    doc: _Doc | None = field(default=None, repr=False, compare=False)

    def quote(self, start: int, end: int) -> str:
        return self.text[start:end]


# --------------------------------------------------------------------------- small helpers

# The ASCII characters other than space and line break that str.split() splits at.
_OTHER_ASCII_SPACE = tuple(ch for ch in map(chr, range(128)) if ch.isspace() and ch not in " \n")


def collapse(text: str) -> str:
    return " ".join(text.split())


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/-]\s*(\d{1,2})\s*[/-]\s*(\d{4}|\d{2})\b")
_WORD_DATE = re.compile(r"(?i)\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def parse_date(text: str) -> str | None:
    """The first date in `text` as yyyy-mm-dd (US month/day order), or None."""
    match = _NUMERIC_DATE.search(text)
    if match:
        month, day, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if year < 100:
            year += 2000 if year < 70 else 1900
    else:
        match = _WORD_DATE.search(text)
        if not match or match.group(1)[:3].lower() not in _MONTHS:
            return None
        month, day, year = _MONTHS[match.group(1)[:3].lower()], int(match.group(2)), int(match.group(3))
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


class _Doc:
    """The letter text with a lower-case copy of the same length, for fast anchor search.

    Python's regex engine scans every character for patterns that start with a class or
    carry IGNORECASE; finding a literal anchor word with `str.find` first and matching the
    full pattern only around it keeps a letter's parse within a fraction of a millisecond.
    """

    __slots__ = ("text", "low", "ascii", "plain")

    def __init__(self, text: str):
        self.text = text
        self.ascii = text.isascii()
        low = text.lower()
        if len(low) != len(text):          # a character whose lower case is longer
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        self.low = low
        self.plain: bool | None = None     # see collapse(); found when first needed

    def collapse(self, start: int, end: int) -> str:
        """`collapse(self.text[start:end])`.

        In plain text (ASCII, no whitespace but single spaces and single line breaks, as
        normalised letters usually are) every piece's words are separated by exactly one
        space or line break: the piece collapses by turning its line breaks into spaces and
        dropping the one space it may start or end with, with no list of its words. Other
        text is collapsed word by word.
        """
        piece = self.text[start:end]
        if self.plain is None:
            text = self.text
            self.plain = (self.ascii and not any(ch in text for ch in _OTHER_ASCII_SPACE)
                          and "  " not in text.replace("\n", " "))
        if self.plain:
            return piece.replace("\n", " ").strip(" ")
        return collapse(piece)

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end

    def first_anchor(self, words, start: int, end: int) -> int:
        """The first position of one of the lower-case `words` in [start, end), or -1."""
        first = -1
        low = self.low
        for word in words:
            pos = low.find(word, start, end if first < 0 else min(end, first + len(word) - 1))
            if pos >= 0:
                first = pos
        return first

    def anchors(self, words, start: int = 0, end: int | None = None) -> list[int]:
        """Sorted positions of the lower-case `words` in [start, end)."""
        end = len(self.text) if end is None else end
        found = []
        low = self.low
        for word in words:
            pos = low.find(word, start, end)
            while pos >= 0:
                found.append(pos)
                pos = low.find(word, pos + 1, end)
        found.sort()
        return found


def _matches_at_words(pattern: re.Pattern, text: str, low: str, words, start: int, end: int,
                      first: bool = False) -> list[re.Match]:
    """`list(pattern.finditer(text, start, end))` for an ASCII `text` (`low` its lower case)
    and a case-insensitive `pattern` whose every match (never empty) starts with one of the
    lower-case `words`: the pattern is tried only where one of the words is (found with
    `str.find`), not at every character. With `first`, only the first match (that of
    `pattern.search(text, start, end)`), if any.

    Only for ASCII text: there IGNORECASE matches the ASCII letters of either case and
    nothing else, as `str.lower` does (elsewhere "\u0131" matches "i", "\u017f" matches "s").
    """
    starts = set()
    for word in words:
        pos = low.find(word, start, end)
        while pos >= 0:
            starts.add(pos)
            pos = low.find(word, pos + 1, end)
    out = []
    stop = start
    for pos in sorted(starts):
        if pos >= stop:
            match = pattern.match(text, pos, end)
            if match:
                out.append(match)
                if first:
                    break
                stop = match.end()
    return out


def _search_at_words(pattern: re.Pattern, text: str, low: str, words, start: int, end: int) -> re.Match | None:
    """`pattern.search(text, start, end)`, on the terms of `_matches_at_words`."""
    found = _matches_at_words(pattern, text, low, words, start, end, first=True)
    return found[0] if found else None


def _ends_sentence(line: str) -> bool:
    match = _SENTENCE_END_REVERSED.match(line.rstrip()[::-1])
    if not match:
        return False
    word = match.group("word")[::-1].rstrip(".").lower()
    return word not in _ABBREVIATIONS


def _stops_item(line: str) -> bool:
    """True when `line` cannot belong to an item line (it ends the text before the item)."""
    return (not line.strip() or _ends_sentence(line) or bool(_ITEM_LABEL.match(line))
            or bool(_ANY_HEADING.match(line)) or has_verdict(line))


def _walk_back(doc: _Doc, pos: int, floor: int) -> int:
    """The start of the item line that holds `pos`: earlier lines are taken while they do
    not end a sentence, carry a label or heading, or state a verdict."""
    text = doc.text
    start = doc.line_start(pos)
    taken = 0
    while start > 0 and taken < _MAX_ITEM_LINES:
        prev_start = doc.line_start(start - 1)
        if prev_start < floor or _stops_item(text[prev_start:start - 1]):
            break
        start = prev_start
        taken += 1
    return max(start, floor)


def _labels(doc: _Doc, start: int, end: int) -> list[tuple[str, re.Match]]:
    """The item labels ("Claims Administrator guideline:", ...) at line starts in [start, end)."""
    text = doc.text
    low = doc.low
    # A label's match holds its anchor word (its last word) only at its end, right before
    # `[ \t]*:`; an anchor not followed by a colon ("MTUS guidelines") is in no label.
    hits = []
    for word in _LABEL_ANCHORS:
        pos = low.find(word, start, end)
        while pos >= 0:
            after = pos + len(word)
            if text.startswith(":", after, end) or (
                    text[after:after + 1] in (" ", "\t") and _LABEL_COLON.match(text, after, end)):
                hits.append(pos)
            pos = low.find(word, pos + 1, end)
    hits.sort()
    out = []
    tried = set()
    for pos in hits:
        # The label starts the anchor's line, or the line before when it is broken
        # ("Claims Administrator" / "guideline: ..."). A line start tried before is skipped:
        # it gave a label then, or no match reaching past an earlier (so this) anchor.
        candidate = text.rfind("\n", 0, pos) + 1
        for _ in range(2):
            if candidate >= start and candidate not in tried:
                tried.add(candidate)
                match = _ITEM_LABEL.match(text, candidate, end)
                if match and match.end() > pos:
                    out.append((_ITEM_FIELD_BY_LABEL[" ".join(match.group("label").lower().split())], match))
                    break
            if candidate == 0:
                break
            candidate = text.rfind("\n", 0, candidate - 1) + 1
    return out


# --------------------------------------------------------------------------- sections

def _find_sections(doc: _Doc) -> dict[str, tuple[int, int]]:
    """Heading name -> (start of heading, end of heading) for the first of each."""
    found = {}
    text = doc.text
    low = doc.low
    for name, pattern in _HEADINGS.items():
        best = None
        for phrase in _HEADING_PHRASES[name]:
            # Once a heading is found at the line start `best.start()`, a phrase can better it
            # only from an earlier line, so only where it starts before that line start.
            stop = len(low) if best is None else best.start() + len(phrase) - 1
            pos = low.find(phrase, 0, stop)
            while pos >= 0:
                match = pattern.match(text, doc.line_start(pos))
                if match:
                    if best is None or match.start() < best.start():
                        best = match
                    break
                pos = low.find(phrase, pos + 1, stop)
        if best is None:                     # a heading broken over two lines
            best = pattern.search(text)
        if best is not None:
            found[name] = (best.start(), best.end())
    return found


def _parse_header(text: str, end: int, letter: Letter) -> None:
    labels = list(_HEADER_LABEL.finditer(text, 0, end))
    for index, match in enumerate(labels):
        field_name = _HEADER_FIELD_BY_LABEL[" ".join(match.group("label").lower().split())]
        stop = labels[index + 1].start() if index + 1 < len(labels) else end
        start, stop = _strip_span(text, match.end(), stop)
        if start >= stop or field_name in letter.header:
            continue
        letter.header[field_name] = Part(collapse(text[start:stop]), start, stop)


def _split_list(value: str) -> list[str]:
    return [part.strip(" .") for part in _LIST_SPLIT.split(value) if part.strip(" .")]


def _parse_credentials(doc: _Doc, start: int, end: int, letter: Letter) -> None:
    text = doc.text
    hit = doc.first_anchor(_CREDENTIAL_ANCHORS, start, end)
    labels = []
    if hit >= 0:
        # the labels from the line of the first label word on
        begin = max(start, doc.line_start(hit))
        if doc.ascii and _CREDENTIAL_LABEL_WORDS is not None:
            labels = _matches_at_words(_CREDENTIAL_LABEL, text, doc.low, _CREDENTIAL_LABEL_WORDS, begin, end)
        else:
            labels = list(_CREDENTIAL_LABEL.finditer(text, begin, end))
    for index, match in enumerate(labels):
        field_name = _CREDENTIAL_FIELD_BY_LABEL[" ".join(match.group("label").lower().split())]
        stop = labels[index + 1].start() if index + 1 < len(labels) else end
        s, e = _strip_span(text, match.end(), stop)
        if s >= e:
            continue
        value = doc.collapse(s, e).rstrip(".")
        if field_name == "licensure" and not letter.licensure:
            letter.licensure = _split_list(value)
            letter.licensure_span = (s, e)
        elif field_name == "specialty" and letter.specialty is None:
            letter.specialty = Part(value, s, e)
    if letter.licensure or letter.specialty:
        return
    # Older letters: "is Board Certified in X, has a subspecialty in Y and is licensed to
    # practice in A and B."
    if doc.first_anchor(_PROSE_ANCHORS, start, end) < 0:
        return
    region = text[start:end]
    region_low = doc.low[start:end] if doc.ascii else None

    def search(pattern: re.Pattern, words) -> re.Match | None:
        """`pattern.search(region)`, tried only at the phrases' first words when it can be."""
        if region_low is None or words is None:
            return pattern.search(region)
        return _search_at_words(pattern, region, region_low, words, 0, len(region))

    specialties = []
    spans = []
    for pattern, kind in ((_PROSE_SPECIALTY, "specialty"), (_PROSE_SUBSPECIALTY, "subspecialty")):
        match = search(pattern, _PROSE_WORDS[kind])
        if match:
            specialties.append(collapse(match.group("v")))
            spans.append((start + match.start("v"), start + match.end("v")))
    if specialties:
        letter.specialty = Part(", ".join(specialties), spans[0][0], spans[-1][1])
    match = search(_PROSE_LICENSURE, _PROSE_WORDS["licensure"])
    if match:
        letter.licensure = _split_list(collapse(match.group("v")))
        letter.licensure_span = (start + match.start("v"), start + match.end("v"))


# --------------------------------------------------------------------------- items

def _partial(text: str) -> tuple[str | None, str | None, str]:
    """(original request, authorized part, remainder) of a collapsed item line."""
    original = authorized = None
    rest = text
    match = _PA_ORIGINAL.match(rest)
    if match:
        original = collapse(match.group("v"))
        rest = rest[match.end():]
        match = _PA_AUTH_AFTER.match(rest) or _PA_AUTH_BEFORE.match(rest)
        if match:
            authorized = collapse(match.group("v"))
            rest = rest[match.end():]
    elif _PA_MARKERS.search(rest):
        match = _PA_AUTH_AFTER.match(rest) or _PA_AUTH_BEFORE.match(rest)
        if match:
            authorized = collapse(match.group("v"))
            rest = rest[match.end():]
    if original is not None or authorized is not None:
        rest = _PA_REMAINDER.sub("", rest, count=1)
    rest = _TRAILING_IS.sub("", rest).strip(" :,;")
    return original, authorized, rest


def _needs_narrative(text: str) -> bool:
    """An item line that continues a partial-authorization narrative begun earlier."""
    return bool(_PA_REMAINDER.match(text) or _PA_MARKERS.search(text)) and not _PA_ORIGINAL_ANY.search(text)


def _item_start(doc: _Doc, end: int, floor: int) -> int:
    text = doc.text
    start = _walk_back(doc, max(end - 1, floor), floor)
    if _needs_narrative(doc.collapse(start, end)):
        # "X was the original request." ended a line: the narrative starts before it.
        found = None
        for match in _PA_ORIGINAL_ANY.finditer(text, floor, start):
            found = match
        if found is not None:
            start = _walk_back(doc, found.start(), floor)
    return start


def _outcomes(doc: _Doc, start: int, end: int) -> list[re.Match]:
    """Outcome matches ("...: Upheld" at a line end) in [start, end), found from the
    outcome words' last letters."""
    out = []
    last_end = -1
    text = doc.text
    for pos in doc.anchors(_OUTCOME_ANCHORS, start, end):
        line_end = min(doc.line_end(pos), end)
        if text[pos + 4:line_end].strip(" .\t"):
            continue                                   # the word does not end its line
        line_start = doc.line_start(pos)
        window = max(start, doc.line_start(line_start - 1) if line_start > 0 else 0)
        # A match starts with its separator: spaces or tabs before a ":" or "-". The search
        # starts at the run of them before the window's first ":" or "-"; none can start
        # earlier, and the pattern looks at nothing before its start.
        colon = text.find(":", window, line_end)
        dash = text.find("-", window, line_end)
        first = dash if colon < 0 or 0 <= dash < colon else colon
        if first < 0:
            continue
        while first > window and text[first - 1] in " \t":
            first -= 1
        match = _OUTCOME.search(text, first, line_end)
        if match and match.start() >= last_end and match.start("word") <= pos < match.end("word"):
            out.append(match)
            last_end = match.end()
    return out


def _find_items(doc: _Doc, body_start: int, body_end: int, warnings: list[str]) -> list[Item]:
    text = doc.text
    items: list[Item] = []
    floor = body_start
    for match in _outcomes(doc, body_start, body_end):
        end = match.start("sep")
        start = _item_start(doc, end, floor)
        start, end = _strip_span(text, start, end)
        if end - start > _MAX_ITEM_CHARS:
            # Too long for an item line: keep the line that holds the outcome's separator.
            start, end = _strip_span(text, max(floor, doc.line_start(end - 1)), end)
        line_text = doc.collapse(start, end)
        if not line_text or _ITEM_LABEL.match(text, start):
            warnings.append(f"an outcome ({match.group('word')}) at offset {match.start('word')} follows no item "
                            "line; ignored")
            continue
        word = re.sub(r"\s", "", match.group("word")).lower()
        original, authorized, request = _partial(line_text)
        items.append(Item(start=start, end=end, text=line_text, request=request or line_text,
                          outcome=_OUTCOME_BY_WORD[word],
                          outcome_span=(match.start("word"), match.end("word")),
                          original_request=original, authorized=authorized))
        floor = match.end()

    labels = _labels(doc, body_start, body_end)

    # Blocks whose item line lost its outcome: the line before a claims administrator label
    # that no item line precedes.
    previous = body_start
    extra = []
    item_starts = [item.start for item in items]
    for name, label in labels:
        if name != "claims_administrator_guideline":
            continue
        index = bisect.bisect_left(item_starts, previous)
        has_item = index < len(item_starts) and item_starts[index] < label.start()
        if not has_item and label.start() > 0:
            line_end = label.start() - 1
            line_start = doc.line_start(line_end)
            if line_start >= previous and not _stops_item(text[line_start:line_end]):
                start = _item_start(doc, line_end, previous)
                start, end = _strip_span(text, start, line_end)
                while end > start and text[end - 1] in ": ":
                    end -= 1
                line_text = doc.collapse(start, end)
                if line_text and len(line_text) <= _MAX_ITEM_CHARS:
                    original, authorized, request = _partial(line_text)
                    extra.append(Item(start=start, end=end, text=line_text, request=request or line_text,
                                      outcome=None, original_request=original, authorized=authorized))
        previous = label.end()
    if extra:
        items = sorted(items + extra, key=lambda item: item.start)

    for index, item in enumerate(items):
        item.block_end = items[index + 1].start if index + 1 < len(items) else body_end
        after = item.outcome_span[1] if item.outcome_span else item.end
        _parse_block(doc, item, [(n, m) for n, m in labels if after <= m.start() < item.block_end])
    return items


def _parse_block(doc: _Doc, item: Item, block_labels) -> None:
    text = doc.text
    labels = []
    for name, match in block_labels:
        if all(name != seen for seen, _ in labels):
            labels.append((name, match))
    for index, (name, match) in enumerate(labels):
        stop = labels[index + 1][1].start() if index + 1 < len(labels) else item.block_end
        start, stop = _strip_span(text, match.end(), stop)
        setattr(item, name, Part(doc.collapse(start, stop), start, stop))
    if item.reviewer_guideline is not None:
        item.citation = parse_citation(item.reviewer_guideline.text)


# --------------------------------------------------------------------------- guidelines

def _finditer_from(pattern: re.Pattern, text: str, words) -> list[re.Match]:
    """`list(pattern.finditer(text))` for an ASCII `text` and a case-insensitive `pattern`
    whose every match (never empty) starts with one of the lower-case `words`: the pattern is
    tried only where one of the words is (found with `str.find`), not at every character.

    Only for ASCII text: there IGNORECASE matches the ASCII letters of either case and
    nothing else, as `str.lower` does (elsewhere "\u0131" matches "i", "\u017f" matches "s").
    """
    return _matches_at_words(pattern, text, text.lower(), words, 0, len(text))


def _split_sections(value: str) -> list[str]:
    value = value.strip(" .;,")
    if not value:
        return []
    out: list[str] = []
    for chunk in value.split(";"):
        pieces = [p.strip() for p in chunk.split(",") if p.strip()]
        index = 0
        while index < len(pieces):
            # A known title that holds commas, longest first.
            taken = 0
            for size in range(min(_MAX_TITLE_PIECES, len(pieces) - index), 1, -1):
                candidate = ", ".join(pieces[index:index + size])
                if " ".join(candidate.lower().split()) in _SECTION_TITLES:
                    taken = size
                    break
            if taken:
                out.append(", ".join(pieces[index:index + taken]))
                index += taken
                continue
            # A piece that starts in lower case continues the section before it
            # ("Opioids, criteria for use").
            if out and pieces[index][:1].islower() and index > 0:
                out[-1] = f"{out[-1]}, {pieces[index]}"
            else:
                out.append(pieces[index])
            index += 1
    # "Carisoprodol (Soma) and Muscle relaxants (for pain)": two sections joined by "and"
    # after a closing parenthesis; "Cornerstones of Disability Prevention and Management"
    # stays one.
    split: list[str] = []
    for section in out:
        if " ".join(section.lower().split()) in _SECTION_TITLES:
            split.append(section)
        elif ")" not in section:             # no ")" for _AND_CAPITAL to follow
            if section.strip():
                split.append(section.strip())
        else:
            split.extend(s.strip() for s in _AND_CAPITAL.split(section) if s.strip())
    return [s.strip(" .") for s in split if s.strip(" .")]


def _mtus_citation(clause: str, citation: Citation) -> None:
    match = _NAME_AT_START.match(clause)
    if not match:
        citation.guidelines.append("MTUS")
        rest = clause
        names = [(None, 0, 0)]
    else:
        names = [(match.group("name"), match.start("name"), match.end("name"))]
        rest = clause
    tail = clause[names[0][2]:]
    if _MORE_NAMES.search(tail):
        for nxt in _NEXT_GUIDELINE.finditer(clause, names[0][2]):
            names.append((nxt.group("name"), nxt.start(), nxt.end("name")))
    for index, (name, _, name_end) in enumerate(names):
        stop = names[index + 1][1] if index + 1 < len(names) else len(rest)
        tail = rest[name_end:stop]
        if name:
            name = collapse(name)
            # "Guidelines" and a year's "19" or "20": the text _YEAR_GUIDELINES needs
            if "Guidelines" in name and ("19" in name or "20" in name):
                name = _YEAR_GUIDELINES.sub(r"\1", name)
            citation.guidelines.append("MTUS " + name)
        # An ASCII tail without the word every page (section) label holds has no such label
        # (see _finditer_from on IGNORECASE and ASCII): the regex scan is skipped.
        # In an ASCII tail a label is looked for only where its first word is.
        low = tail.lower() if tail.isascii() else None
        if low is not None and _PAGE_LABEL_WORDS is not None:
            page_match = _search_at_words(_PAGE_LABEL, tail, low, _PAGE_LABEL_WORDS, 0, len(tail))
        else:
            page_match = _PAGE_LABEL.search(tail) if low is None or _PAGE_LABEL_WORD in low else None
        section_text = tail[: page_match.start()] if page_match else tail
        if low is not None and _SECTION_LABEL_WORDS is not None:
            label = _search_at_words(_SECTION_LABEL, section_text, low, _SECTION_LABEL_WORDS, 0, len(section_text))
        else:
            label = (_SECTION_LABEL.search(section_text)
                     if low is None or _SECTION_LABEL_WORD in low[: len(section_text)] else None)
        if label:
            section_text = section_text[label.end():]
        citation.sections.extend(_split_sections(section_text.strip(" ,.")))
        if page_match:
            pages = _PAGES_VALUE.match(tail, page_match.end())
            if pages:
                value = " ".join(pages.group(0).split()).strip(" ,-")
                citation.pages = value if not citation.pages else f"{citation.pages}; {value}"


def parse_citation(text: str) -> Citation:
    """Guidelines, sections and pages named in a guideline line.

    "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Muscle
    relaxants (for pain). Decision based on Non-MTUS Citation Official Disability
    Guidelines (ODG) Pain Chapter." gives guidelines ["MTUS Chronic Pain Medical Treatment
    2016", "ODG Pain Chapter"] and sections ["Muscle relaxants (for pain)"].
    """
    citation = Citation()
    if _CLAUSE_LEAD_WORDS is not None and text.isascii():
        leads = _finditer_from(_CLAUSE_LEAD, text, _CLAUSE_LEAD_WORDS)
    else:
        leads = list(_CLAUSE_LEAD.finditer(text))
    for index, lead in enumerate(leads):
        stop = leads[index + 1].start() if index + 1 < len(leads) else len(text)
        clause = text[lead.end():stop].strip()
        non_mtus = _NON_MTUS_LEAD.match(clause)
        if non_mtus:
            body = clause[non_mtus.end():].strip().rstrip(".")
            odg = _ODG_NAME.match(body)
            if odg:
                rest = body[odg.end():].strip()
                citation.guidelines.append(f"ODG {rest}".strip())
            elif body:
                citation.guidelines.append(f"Non-MTUS {body}")
            continue
        mtus = _MTUS_LEAD.match(clause)
        if mtus:
            _mtus_citation(clause[mtus.end():].rstrip(), citation)
    return citation


# --------------------------------------------------------------------------- verdicts

def verdict_spans(text: str, start: int, end: int, doc: _Doc | None = None) -> list[tuple[int, int]]:
    """Spans of the reviewer's verdict phrases ("is not medically necessary", "Upheld") in
    [start, end), found around the phrases' anchor words; overlapping spans are merged."""
    doc = doc if doc is not None and doc.text is text else _Doc(text)
    low = doc.low
    spans: list[tuple[int, int]] = []
    for anchor in _VERDICT_ANCHORS:
        pos = low.find(anchor, start, end)
        while pos >= 0:
            span = _verdict_at(text, low, pos, anchor)
            if span is not None and span[0] >= start and span[1] <= end:
                spans.append(span)
            pos = low.find(anchor, pos + 1, end)
    if not spans:
        return spans
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def without_verdicts(text: str, name: str, start: int, end: int,
                     doc: _Doc | None = None) -> list[tuple[str, int, int]]:
    """The span [start, end) as segments with every verdict phrase cut out."""
    out = []
    cursor = start
    for s, e in verdict_spans(text, start, end, doc):
        s0, e0 = _strip_span(text, cursor, s)
        if e0 > s0:
            out.append((name, s0, e0))
        cursor = e
    s0, e0 = _strip_span(text, cursor, end)
    if e0 > s0:
        out.append((name, s0, e0))
    return out


# --------------------------------------------------------------------------- the letter

def parse_letter(text: str, *, path: str = "<text>", require_outcome: bool = True) -> Letter:
    """Split normalised letter text into its parts; see the module docstring."""
    letter = Letter(text=text)
    doc = _Doc(text)
    letter.doc = doc
    headings = _find_sections(doc)
    starts = sorted(span[0] for span in headings.values())
    end = len(text)

    def next_heading(after: int) -> int:
        return next((s for s in starts if s > after), end)

    first = starts[0] if starts else 0
    if first > 0:
        letter.sections["header"] = _strip_span(text, 0, first)
        _parse_header(text, first, letter)
    if "determination" in headings:
        h_start, h_end = headings["determination"]
        stop = next_heading(h_start)
        letter.sections["determination"] = (h_start, stop)
        _parse_credentials(doc, h_end, stop, letter)
    if "summary" in headings:
        h_start, h_end = headings["summary"]
        stop = next_heading(h_start)
        body = h_end
        intro = _SUMMARY_INTRO.match(text[h_end:stop])
        if intro:
            body = h_end + intro.end()
        letter.sections["summary"] = _strip_span(text, body, stop)
    if "decisions" in headings:
        h_start, h_end = headings["decisions"]
        stop = next_heading(h_start)
        body = h_end
        intro = _DECISIONS_INTRO.match(text[h_end:stop])
        if intro:
            body = h_end + intro.end()
    else:
        body = letter.sections.get("summary", (0, 0))[1] if "summary" in headings else 0
        stop = end
    letter.sections["decisions"] = (body, stop)
    letter.items = _find_items(doc, body, stop, letter.warnings)

    if not letter.items:
        raise LetterError(path, "not_a_letter", "not an IMR decision letter: no disputed item with an outcome "
                          "(a line such as 'Norco 10/325mg #120: Upheld') was found")
    if require_outcome and not any(item.outcome for item in letter.items):
        raise LetterError(path, "not_a_letter", "not an IMR decision letter: no item line ends with an outcome "
                          "(Upheld or Overturned)")
    return letter
