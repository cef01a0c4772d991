"""Parse one disputed item line of an IMR letter into a structured request.

Stage: extraction (one item line -> one `request` of the case; see `$defs/request` in
engine/schemas/case.schema.json).
Input: the item text as written ("Norco 10/325mg #120 DOS: 8/4/15", "Physical therapy 2 times a
week for 6 weeks for the lumbar spine", or a whole partial-authorization sentence).
Output: a dict holding only keys of `$defs/request`; values that are not stated are left out.
Raises: nothing for odd text. An item that neither the drug lexicon nor the phrase lists
recognise keeps its text, gets kind "other" and a warning. (A non-string argument is a
`TypeError`; a broken vocabulary file is a `RequestVocabularyError`.)

The words are data: drug names come from the lexicon (rules/vocab/drugs.yaml), the words that
decide the kind from rules/vocab/request_kinds.yaml, modalities and body parts from
rules/vocab/modalities.yaml and rules/vocab/body_parts.yaml. This module holds the patterns for
numbers, schedules, quantities, strengths and dates, which are the same for every item.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..lexicon import Drug, DrugMention, Lexicon, load_lexicon
from ..paths import SCHEMA_DIR, vocab_dir
from .literal_gate import Gated

__all__ = ["parse_request", "RequestVocabulary", "RequestVocabularyError", "load_request_vocabulary"]


class RequestVocabularyError(ValueError):
    """A malformed request vocabulary file (request_kinds, modalities, body_parts)."""


# ----------------------------------------------------------------------------- vocabulary

@dataclass(frozen=True)
class _Phrase:
    kind: str | None = None
    modality: str | None = None
    needs_visits: bool = False
    body_part: str | None = None
    side: str | None = None


def _phrase_pattern(phrase: str) -> str:
    tokens = re.findall(r"[a-z0-9&]+", phrase.lower())
    body = r"[\s\-/.]*".join(re.escape(t) for t in tokens)
    if tokens and tokens[-1].isalpha() and len(tokens[-1]) >= 3:
        body += r"(?:e?s)?"                     # plural
    return body


def _phrase_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9&]+", text.lower()))


class _Hit:
    """A phrase found in a text (the parts of `re.Match` the parser uses)."""

    __slots__ = ("_start", "_end", "_text")

    def __init__(self, start: int, end: int, text: str):
        self._start, self._end, self._text = start, end, text

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, *_args) -> str:
        return self._text


_WORD = re.compile(r"[a-z0-9&]+")
_PHRASE_GAP = re.compile(r"[\s\-/.]*")


class _PhraseIndex:
    """All phrases of one vocabulary, matched by word tokens: the longest phrase starting at a
    word wins and matches do not overlap (a dictionary lookup per word, no big regex)."""

    def __init__(self, entries: dict[str, list[_Phrase]]):
        self.entries = entries
        index: dict[str, list[tuple[str, ...]]] = {}
        for key in entries:
            tokens = tuple(key.split(" "))
            if tokens and tokens[0]:
                index.setdefault(tokens[0], []).append(tokens)
                if len(tokens) == 1 and tokens[0].isalpha() and len(tokens[0]) >= 3:
                    index.setdefault(tokens[0] + "s", []).append(tokens)
                    index.setdefault(tokens[0] + "es", []).append(tokens)
        for options in index.values():
            options.sort(key=lambda t: -len(t))
        self._index = index

    def meanings(self, matched: str) -> list[_Phrase]:
        key = _phrase_key(matched)
        found = self.entries.get(key)
        if found is None and key.endswith("es"):
            found = self.entries.get(key[:-2])
        if found is None and key.endswith("s"):
            found = self.entries.get(key[:-1])
        return found or []

    def finditer(self, text: str):
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(low)]
        index = self._index
        i, n = 0, len(words)
        while i < n:
            options = index.get(words[i][2])
            hit = None
            if options:
                for tokens in options:
                    size = len(tokens)
                    if i + size > n:
                        continue
                    ok = True
                    for k in range(1, size):
                        word = words[i + k][2]
                        want = tokens[k]
                        if word != want and not (k == size - 1 and want.isalpha() and len(want) >= 3
                                                 and word in (want + "s", want + "es")):
                            ok = False
                            break
                        if _PHRASE_GAP.fullmatch(low, words[i + k - 1][1], words[i + k][0]) is None:
                            ok = False
                            break
                    if ok:
                        hit = size
                        break
            if hit:
                start, end = words[i][0], words[i + hit - 1][1]
                yield _Hit(start, end, text[start:end]), self.entries.get(" ".join(tokens), [])
                i += hit
            else:
                i += 1


@dataclass
class RequestVocabulary:
    """The phrase data the parser reads, loaded once from rules/vocab/."""

    kinds: list[str]
    kind_rank: dict[str, int]
    yields_to: dict[str, tuple[str, ...]]
    head_breaks: tuple[str, ...]
    retro: re.Pattern
    service: _PhraseIndex                    # kinds and modalities
    body: _PhraseIndex
    body_patterns: list[tuple[re.Pattern, str]]
    modality_kind: dict[str, str]
    combines: list[tuple[str, frozenset[str]]]
    default_modality: dict[tuple[str, str], str] = field(default_factory=dict)   # (kind, body part) -> modality
    perioperative: tuple[tuple[str, re.Pattern], ...] = ()   # (phase, pattern of its phrases)
    service_kinds: frozenset[str] = frozenset()              # kinds whose items can serve a named surgery


def _read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RequestVocabularyError(f"{path}: cannot read: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RequestVocabularyError(f"{path}: {where}not valid YAML: {getattr(err, 'problem', err)}") from None


def _phrase_items(path: Path, where: str, phrases) -> list[tuple[str, dict]]:
    out = []
    if phrases is None:
        return out
    if not isinstance(phrases, list):
        raise RequestVocabularyError(f"{path}: {where}: `phrases` must be a list")
    for k, item in enumerate(phrases):
        if isinstance(item, str) and item.strip():
            out.append((item, {}))
        elif isinstance(item, dict) and isinstance(item.get("phrase"), str):
            out.append((item["phrase"], item))
        else:
            raise RequestVocabularyError(f"{path}: {where}: phrases[{k}] must be a string or {{phrase: ...}}, got {item!r}")
    return out


def load_request_vocabulary(directory: Path | None = None) -> RequestVocabulary:
    """Read request_kinds.yaml, modalities.yaml and body_parts.yaml (default: the shipped ones)."""
    if directory is None:
        return _default_vocabulary()
    return _load_vocabulary(Path(directory))


def _schema_kinds() -> list[str]:
    schema = json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))
    return list(schema["$defs"]["kind"]["enum"])


def _load_vocabulary(directory: Path) -> RequestVocabulary:
    kinds_path = directory / "request_kinds.yaml"
    mod_path = directory / "modalities.yaml"
    body_path = directory / "body_parts.yaml"
    kinds_data = _read_yaml(kinds_path)
    mod_data = _read_yaml(mod_path)
    body_data = _read_yaml(body_path)
    enum = _schema_kinds()

    if not isinstance(kinds_data, dict) or not isinstance(kinds_data.get("kinds"), list):
        raise RequestVocabularyError(f"{kinds_path}: expected a mapping with a `kinds:` list")
    service: dict[str, list[_Phrase]] = {}
    kinds: list[str] = []
    yields: dict[str, tuple[str, ...]] = {}
    for i, entry in enumerate(kinds_data["kinds"]):
        if not isinstance(entry, dict) or entry.get("id") not in enum:
            raise RequestVocabularyError(f"{kinds_path}: kinds[{i}]: `id` must be one of the case schema kinds ({', '.join(enum)})")
        kid = entry["id"]
        if kid in kinds:
            raise RequestVocabularyError(f"{kinds_path}: kinds[{i}] ({kid}): listed twice")
        kinds.append(kid)
        for phrase, _ in _phrase_items(kinds_path, f"kinds[{i}] ({kid})", entry.get("phrases")):
            service.setdefault(_phrase_key(phrase), []).append(_Phrase(kind=kid))
        if entry.get("yields_to"):
            yields[kid] = tuple(entry["yields_to"])
    missing = [k for k in enum if k not in kinds]
    if missing:
        raise RequestVocabularyError(f"{kinds_path}: kinds missing from the priority list: {', '.join(missing)}")
    for kid, targets in yields.items():
        for t in targets:
            if t not in kinds:
                raise RequestVocabularyError(f"{kinds_path}: {kid}: yields_to names unknown kind {t!r}")
    breaks = kinds_data.get("head_breaks") or []
    retro_phrases = kinds_data.get("retrospective_phrases") or ["retrospective", "retro"]
    retro = _rx(r"(?<![a-z0-9])(?:" + "|".join(_phrase_pattern(p) for p in
                                                        sorted(retro_phrases, key=len, reverse=True)) + r")(?![a-z0-9])", re.I)

    if not isinstance(mod_data, dict) or not isinstance(mod_data.get("terms"), list):
        raise RequestVocabularyError(f"{mod_path}: expected a mapping with a `terms:` list")
    modality_kind: dict[str, str] = {}
    combines: list[tuple[str, frozenset[str]]] = []
    defaults: dict[tuple[str, str], str] = {}
    body_ids = {t.get("id") for t in (body_data or {}).get("terms", []) if isinstance(t, dict)}
    for i, term in enumerate(mod_data["terms"]):
        if not isinstance(term, dict) or not isinstance(term.get("id"), str):
            raise RequestVocabularyError(f"{mod_path}: terms[{i}]: expected a mapping with a string `id`")
        mid = term["id"]
        kind = term.get("kind")
        if kind not in enum:
            raise RequestVocabularyError(f"{mod_path}: terms[{i}] ({mid}): `kind` must be one of the case schema kinds, got {kind!r}")
        modality_kind[mid] = kind
        for phrase, extra in _phrase_items(mod_path, f"terms[{i}] ({mid})", term.get("phrases")):
            service.setdefault(_phrase_key(phrase), []).append(
                _Phrase(kind=kind, modality=mid, needs_visits=bool(extra.get("needs_visits"))))
        if term.get("combines"):
            combines.append((mid, frozenset(term["combines"])))
        for part in term.get("default_for_body_parts") or []:
            if part not in body_ids:
                raise RequestVocabularyError(f"{mod_path}: terms[{i}] ({mid}): unknown body part {part!r} in default_for_body_parts")
            defaults[(kind, part)] = mid
    for mid, parts in combines:
        for p in parts:
            if p not in modality_kind:
                raise RequestVocabularyError(f"{mod_path}: {mid}: combines names unknown modality {p!r}")

    if not isinstance(body_data, dict) or not isinstance(body_data.get("terms"), list):
        raise RequestVocabularyError(f"{body_path}: expected a mapping with a `terms:` list")
    body: dict[str, list[_Phrase]] = {}
    patterns: list[tuple[re.Pattern, str]] = []
    for i, term in enumerate(body_data["terms"]):
        if not isinstance(term, dict) or not isinstance(term.get("id"), str):
            raise RequestVocabularyError(f"{body_path}: terms[{i}]: expected a mapping with a string `id`")
        bid = term["id"]
        for phrase, extra in _phrase_items(body_path, f"terms[{i}] ({bid})", term.get("phrases")):
            side = extra.get("side")
            if side not in (None, "left", "right", "bilateral"):
                raise RequestVocabularyError(f"{body_path}: terms[{i}] ({bid}): side must be left, right or bilateral")
            body.setdefault(_phrase_key(phrase), []).append(_Phrase(body_part=bid, side=side))
        for k, pat in enumerate(term.get("patterns") or []):
            try:
                patterns.append((Gated(re.compile(pat)), bid))
            except re.error as err:
                raise RequestVocabularyError(f"{body_path}: terms[{i}] ({bid}): patterns[{k}] is not a valid regex: {err}") from None

    phases = []
    for phase, phrases in (kinds_data.get("perioperative_phrases") or {}).items():
        if phase not in _PHASES or not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise RequestVocabularyError(f"{kinds_path}: perioperative_phrases: {phase!r} must be one of "
                                         f"{', '.join(_PHASES)} with a list of phrases")
        phases.append((phase, _rx(r"(?<![a-z0-9])(?:" + "|".join(_phrase_pattern(p) for p in sorted(phrases, key=len, reverse=True))
                                  + r")(?![a-z0-9])", re.I)))
    service_kinds = kinds_data.get("service_kinds") or []
    for kid in service_kinds:
        if kid not in kinds:
            raise RequestVocabularyError(f"{kinds_path}: service_kinds names unknown kind {kid!r}")

    rank = {k: i for i, k in enumerate(kinds)}
    return RequestVocabulary(kinds, rank, yields, tuple(breaks), retro, _PhraseIndex(service), _PhraseIndex(body),
                             patterns, modality_kind, combines, defaults, tuple(phases), frozenset(service_kinds))


_PHASES = ("pre_operative", "post_operative", "associated")


@lru_cache(maxsize=1)
def _default_vocabulary() -> RequestVocabulary:
    return _load_vocabulary(vocab_dir())


# ----------------------------------------------------------------------------- numbers

_NUMBER_WORDS = {
    "zero": 0, "no": 0, "none": 0, "one": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "twenty-four": 24, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}
_WORD_ALT = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS if w not in ("no", "none")), key=len, reverse=True))
# not inside a word or a decimal; "x3" and "#3" are fine
NUM = rf"(?<![A-WYZa-wyz0-9.])(?:\d+(?:\.\d+)?|(?:{_WORD_ALT})\b)"
RANGE = rf"(?P<a>{NUM})(?:\s*(?:-|to|or)\s*(?P<b>{NUM}))?"


def _num(token: str | None) -> float | None:
    if token is None:
        return None
    token = token.strip().lower()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    try:
        return float(token)
    except ValueError:
        return None


def _range_value(m: re.Match) -> tuple[float | None, bool]:
    """The upper bound of "a" or "a-b", and whether it was a range."""
    a, b = _num(m.group("a")), _num(m.groupdict().get("b"))
    if b is not None and a is not None:
        return max(a, b), True
    return a, False


def _range_low(m: re.Match) -> float | None:
    """The lower bound of "a" or "a-b"."""
    a, b = _num(m.group("a")), _num(m.groupdict().get("b"))
    if b is not None and a is not None:
        return min(a, b)
    return a


def _intish(x: float | None):
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(x, 2)


# ----------------------------------------------------------------------------- patterns

_I = re.I


def _rx(pattern: str, flags: int = 0) -> Gated:
    """A compiled pattern that is not run on an item without the literal text it needs
    (engine/extraction/literal_gate.py): most of them look for what an item seldom holds."""
    return Gated(re.compile(pattern, flags))

_PARTIAL_ORIGINAL = _rx(r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.?\s*", re.I | re.S)
_PARTIAL_AUTH_A = _rx(r"(?:^|\.\s+)(?P<auth>[^.]+?)\s+was\s+authori[sz]ed\s+by\s+the\s+claims\s+administrator", re.I | re.S)
_PARTIAL_AUTH_B = _rx(r"the\s+claims\s+administrator\s+authori[sz]ed\s+(?P<auth>.+?)(?:,\s*leaving|\.|$)", re.I | re.S)
_PARTIAL_REST = _rx(
    r"(?:remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request|(?:^|\.\s+)the\s+original\s+request)\s*,\s*"
    r"(?P<rest>.+?)(?:\s+is)?\s*:?\s*$", re.I | re.S)
_OUTCOME_TAIL = _rx(r"\s*:?\s*(?:is\s*:?\s*)?\b(?:upheld|overturned)\s*\.?\s*$", re.I)

_DATE = r"(?P<m>\d{1,2})\s*[/\-.]\s*(?P<d>\d{1,2})\s*[/\-.]\s*(?P<y>\d{4}|\d{2})\b"
_DOS = _rx(r"(?:\bDOS\b|\bD\.O\.S\.?|\bdates?\s+of\s+service\b|\bservice\s+date\b|"
                  r"\b(?:dispensed|given|performed|administered|rendered|provided|done|prescribed)\s+on\b)\s*[:\-]?\s*(?:on\s+)?"
                  + _DATE, re.I)
_DOS_RANGE_TAIL = _rx(r"\s*(?:-|to|through|thru)\s*" + _DATE.replace("?P<m>", "").replace("?P<d>", "").replace("?P<y>", ""), re.I)

_FREQ_WEEK = [
    _rx(RANGE + r"\s*days?\s*(?:a|per|/|each)\s*week\b", _I),
    _rx(RANGE + r"\s*(?:x|times?|visits?|sessions?|treatments?)?\s*(?:a|per|/|each|every)\s*(?:week|wk)s?\b", _I),
    _rx(RANGE + r"\s*(?:x|times)\s*(?:weekly|wkly)\b", _I),
    _rx(RANGE + r"x/?w(?:k|eek)?\b", _I),
]
_FREQ_WEEK_WORDS = [
    (_rx(r"\btwice\s*(?:a|per|/)?\s*week(?:ly)?\b|\bbi-?weekly\b", _I), 2.0),
    (_rx(r"\bthrice\s*(?:a|per|/)?\s*week(?:ly)?\b", _I), 3.0),
    (_rx(r"\bonce\s*(?:a|per|/)\s*week\b|\bweekly\b", _I), 1.0),
]
_DAILY_SERVICE = _rx(r"\b(?:daily|every\s+day|7\s*days?\s*(?:a|per)\s*week)\b", _I)
_DURATION = [
    (_rx(r"(?:\b(?:for|x|times|over|of|during|in)\s*)?" + RANGE + r"\s*[- ]?(?:weeks?|wks?)\b", _I), 1.0),
    (_rx(r"(?:\b(?:for|x|times|over|of|during|in)\s*)?" + RANGE + r"\s*[- ]?months?\b'?", _I), 52.0 / 12.0),
    (_rx(r"(?:\b(?:for|x|times|over|of|during|in)\s*)?" + RANGE + r"\s*[- ]?days?\b(?!\s*supply)", _I), 1.0 / 7.0),
]
_COMPACT = _rx(r"(?<![\d/.#])(?P<f>\d{1,2})\s*(?:x|times)\s*(?P<d>\d{1,2})(?![\d.%/])"
                      r"(?!\s*(?:refills?|mg|mcg|g\b|ml|weeks?|wks?|days?|months?|visits?|sessions?|hours?|hrs?|minutes?|mins?))", _I)
_VISITS = [
    _rx(RANGE + r"\s*(?:additional\s+|more\s+|total\s+|further\s+)?(?:[a-z][a-z\-]*\s+){0,3}?(?P<unit>sessions?|visits?|treatments?|appointments?)\b", _I),
    _rx(r"\b(?:sessions?|visits?|treatments?)\s*(?:,|:|of|#|x|qty:?|quantity:?)?\s*#?\s*(?P<a>\d+)(?!\s*(?:x|times|/|weeks?|days?|months?))\b", _I),
]
_COUNT = _rx(r"(?:\bx|\btimes|#|\bqty\s*:?|\bquantity\s*:?|\bquantity\s+of)\s*(?P<a>" + NUM + r")"
                    r"(?!\s*(?:weeks?|wks?|days?|months?|a\s+week|per|/|weekly|mg|mcg|%|hours?|hrs?|refills?))", _I)
_TRAILING_COUNT = _rx(r",\s*(?P<a>\d{1,3})\s*$")

_QTY_HASH = _rx(r"#\s*(?P<n>\d+(?:,\d{3})*)(?:\s*(?P<u>grams?|gms?|g|ml|mls|boxe?s?|tubes?|bottles?|patch(?:es)?|tabs?|tablets?|"
                       r"capsules?|caps?|pills?|units?|packs?|kits?)\b)?", _I)
_QTY_COUNT = _rx(r"(?<![#\d.])(?P<n>\d+)\s*(?P<u>tablets?|tabs?|capsules?|caps?|pills?|patch(?:es)?|boxe?s?|tubes?|bottles?)\b(?!\s*(?:by|orally|po\b|p\.o|every|q\d|daily|a\s+day|per\s+day|twice|once|at\s+bedtime))", _I)
_QTY_LABEL = _rx(r"\b(?:qty|quantity)\s*(?:of\s*)?:?\s*#?\s*(?P<n>\d+)", _I)
_QTY_AMOUNT = _rx(r"(?<![\d.%/])(?P<n>\d+(?:\.\d+)?)\s*(?P<u>grams?|gms?|gm|g|ml|mls|oz)\b(?!\s*/)", _I)
_UNKNOWN_QTY = _rx(r"\b(?:unknown|unspecified|unstated)\s+(?:quantity|qty|amount)\b|\bquantity\s+(?:unknown|unspecified)\b", _I)

_REFILLS = [
    _rx(r"(?:\b(?:with|w/|plus|and)\s*)?(?P<n>" + NUM + r"|no)\s*(?:x\s*)?(?:additional\s+)?refills?\b", _I),
    _rx(r"\brefills?\s*(?:x|:|#|times)?\s*(?P<n>\d+)\b", _I),
    _rx(r"\bRF\s*:?\s*#?\s*(?P<n>\d+)\b"),
]

_EVERY_HOURS = _rx(r"\b(?:every|q)\s*(?P<a>\d+)(?:\s*(?:-|to)\s*(?P<b>\d+))?\s*(?:hours?|hrs?|h)\b", _I)
_TIMES_DAY = _rx(r"(?P<n>" + NUM + r"|once|twice|thrice)\s*(?:x|times)?\s*(?:a|per|/|each)?\s*(?:day|daily)\b(?!\s*supply)", _I)
_ABBREV_DAY = [(_rx(r"\b(?:bid|b\.i\.d\.?)\b", _I), 2.0), (_rx(r"\b(?:tid|t\.i\.d\.?)\b", _I), 3.0),
               (_rx(r"\b(?:qid|q\.i\.d\.?)\b", _I), 4.0),
               (_rx(r"\b(?:qd|q\.d\.|qhs|q\.h\.s\.?|hs|qam|qpm|daily|nightly|at\s+bedtime|every\s+day|every\s+night|per\s+day)\b", _I), 1.0)]
_ON_OFF = _rx(r"\b12\s*(?:hours?|hrs?|h)\s*on\s*,?\s*(?:and\s*)?12\s*(?:hours?|hrs?|h)\s*off\b", _I)
_UNITS_BEFORE = _rx(r"(?P<a>\d+(?:\.\d+)?|one|two|three|four|half|1/2)(?:\s*(?:-|to)\s*(?P<b>\d+|two|three|four))?\s*"
                           r"(?:tabs?|tablets?|caps?|capsules?|pills?|patch(?:es)?|puffs?|sprays?|by\s+mouth|orally|po\b|p\.o\.?)", _I)
_DAY_SUPPLY = [
    _rx(r"\bday\s*supply\s*:?\s*(?P<n>\d+)", _I),
    _rx(r"(?<!#)(?<!\d)(?P<n>\d+)\s*[- ]?days?'?\s*supply\b", _I),
    _rx(r"\bsupply\s*(?:of|:|for)?\s*(?P<n>\d+)\s*days?\b", _I),
    _rx(r"(?<![#\d])(?P<n>" + NUM + r")\s*[- ]?days?\b(?!\s*(?:a|per)\s*week)", _I),
]
_MONTH_SUPPLY = _rx(r"(?P<n>" + NUM + r")\s*[- ]?months?'?\s*(?:supply|coverage|of\s+coverage|worth)?", _I)

_STRENGTH = [
    ("two", _rx(r"(?P<a>\d+(?:\.\d+)?)\s*(?:mg|mcg)?\s*[/\-]\s*(?P<b>\d+(?:\.\d+)?)\s*(?P<u>mg|mcg)\b", _I)),
    ("rate", _rx(r"(?P<a>\d+(?:\.\d+)?)\s*(?P<u>mg|mcg)\s*/\s*(?P<per>\d*\.?\d*\s*(?:ml|hr|hour|h|actuation|spray))\b", _I)),
    ("one", _rx(r"(?P<a>\d+(?:\.\d+)?)\s*(?P<u>mg|mcg|%|percent|units|iu|meq)(?![a-z])", _I)),
    ("bare", _rx(r"^\s*(?P<a>\d+(?:\.\d+)?)\s*/\s*(?P<b>\d+(?:\.\d+)?)(?![\d/])")),
]
_PERCENT_AFTER = _rx(r"^\s*(?:\w+\s+)?(?P<a>\d+(?:\.\d+)?)\s*(?:%|percent)", _I)
_MG_AFTER = _rx(r"^\s*(?:\w+\s+){0,2}?(?P<a>\d+(?:\.\d+)?)\s*mg\b(?!\s*/)", _I)

_FORMS = [
    (_rx(r"\boral\s+suspension\b|\bsuspension\b", _I), "oral suspension"),
    (_rx(r"\bcream\b", _I), "cream"),
    (_rx(r"\bgel\b", _I), "gel"),
    (_rx(r"\bointment\b", _I), "ointment"),
    (_rx(r"\blotion\b", _I), "lotion"),
    (_rx(r"\bpatch(?:es)?\b", _I), "patch"),
    (_rx(r"\btopical\s+solution\b|\bsolution\b", _I), "solution"),
    (_rx(r"\bnasal\s+spray\b|\bspray\b", _I), "spray"),
    (_rx(r"\binjection\b|\binjectable\b|\binj\b", _I), "injection"),
    (_rx(r"\bcapsules?\b|\bcaps?\b", _I), "capsule"),
    (_rx(r"\btablets?\b|\btabs?\b", _I), "tablet"),
    (_rx(r"\bdose\s*pa(?:c)?k\b|\bdosepak\b", _I), "dose pack"),
    (_rx(r"\bfilm\b", _I), "film"),
    (_rx(r"\bliquid\b|\bsyrup\b|\belixir\b", _I), "liquid"),
]
# no form word at all (most items): one test instead of one per form
_ANY_FORM = _rx("|".join(f"(?:{regex.pattern})" for regex, _ in _FORMS), _I)
_TOPICAL_FORMS = {"cream", "gel", "ointment", "lotion", "patch", "solution"}
_RELEASE_CASE = _rx(r"\b(?:ER|XR|SR|CR|XL|LA)\b|\b(?:extended|sustained|controlled)[- ]release\b", re.I)
_DELAYED = _rx(r"\bDR\b|\bdelayed[- ]release\b|\bEC\b|\benteric[- ]coated\b", re.I)
_COMPOUNDED = _rx(r"\bcompound(?:ed)?\b|\bcream\s+base\b|\bin\s+(?:a\s+)?\w+\s+base\b|\bcompounding\b", _I)
_TOPICAL_WORD = _rx(r"\btopical(?:ly)?\b|\bapply\b|\bapplied\b", _I)

_SIDE = _rx(r"\b(?P<s>left|right|bilateral|bilaterally|bilat|both|b/l|lt|rt|l|r)\b(?=[\s\-/]|$)", _I)
_SIDE_NORMAL = {"left": "left", "lt": "left", "l": "left", "right": "right", "rt": "right", "r": "right",
                "bilateral": "bilateral", "bilaterally": "bilateral", "bilat": "bilateral", "both": "bilateral",
                "b/l": "bilateral"}
_PLURAL_PARTS = _rx(r"\b(?:extremities|knees|shoulders|hands|wrists|elbows|hips|ankles|feet|legs|arms)\b", _I)

_COUNTED_IN_DAYS = ("hospital_stay",)   # services whose quantity is a number of days (a length of stay)
_SESSION_KINDS = {"physical_therapy", "occupational_therapy", "aquatic_therapy", "chiropractic", "acupuncture",
                  "office_visit", "consultation", "home_health", "program", "psychological"}
_WORD_THEN_DIGITS = _rx(r"\b(" + _WORD_ALT + r")\s*\((\d+)\)", _I)
_SOFT = str.maketrans({"\ufffe": "-", "\u00ad": "", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                       "\u2014": "-", "\u2019": "'", "\u00a0": " "})


# ----------------------------------------------------------------------------- parsing

@dataclass
class _Scan:
    """Working state for one item: the text and the spans that patterns have consumed."""

    text: str
    used: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.used)

    def take(self, m: re.Match) -> None:
        self.used.append((m.start(), m.end()))

    def first(self, regex: re.Pattern, *, take: bool = True) -> re.Match | None:
        for m in regex.finditer(self.text):
            if self.free(m.start(), m.end()):
                if take:
                    self.take(m)
                return m
        return None

    def all(self, regex: re.Pattern, *, take: bool = True) -> list[re.Match]:
        out = []
        for m in regex.finditer(self.text):
            if self.free(m.start(), m.end()):
                if take:
                    self.take(m)
                out.append(m)
        return out


def _iso_date(m: re.Match) -> str | None:
    month, day, year = int(m.group("m")), int(m.group("d")), int(m.group("y"))
    if year < 100:
        year += 2000
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _split_partial(text: str) -> tuple[str, str | None, str | None]:
    """(remaining item, original request, authorized part) of a partial authorization."""
    orig_m = _PARTIAL_ORIGINAL.search(text)
    rest_m = _PARTIAL_REST.search(text)
    if not orig_m and not rest_m:
        return text, None, None
    original = orig_m.group("orig").strip() if orig_m else None
    auth_m = _PARTIAL_AUTH_A.search(text) or _PARTIAL_AUTH_B.search(text)
    authorized = auth_m.group("auth").strip() if auth_m else None
    remaining = rest_m.group("rest").strip() if rest_m else text
    return remaining, original, authorized


def parse_request(text: str, lexicon: Lexicon | None = None, vocabulary: RequestVocabulary | None = None) -> dict:
    """Parse one disputed item line into a request dict (keys of `$defs/request` only)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_request expects the item text as a string, got {type(text).__name__}")
    lexicon = lexicon or load_lexicon()
    vocabulary = vocabulary or load_request_vocabulary()
    try:
        return _parse(text, lexicon, vocabulary, allow_partial=True)
    except Exception as err:  # never raise on odd text; say what happened instead
        out = {"text": text, "kind": "other", "warnings": [f"internal parser error ({type(err).__name__}: {err}); item kept as text"]}
        item = " ".join(text.split())
        if item:
            out["item"] = item
        return out


def _parse(text: str, lexicon: Lexicon, voc: RequestVocabulary, *, allow_partial: bool) -> dict:
    warnings: list[str] = []
    clean = " ".join((text if text.isascii() else text.translate(_SOFT)).split())   # _SOFT maps non-ASCII only
    low = clean.lower()
    if "upheld" in low or "overturned" in low:
        clean = _OUTCOME_TAIL.sub("", clean).strip()
    if "(" in clean:
        clean = _WORD_THEN_DIGITS.sub(lambda m: m.group(2), clean)  # "six (6) visits" -> "6 visits"
    out: dict = {"text": text}

    original = authorized = None
    if allow_partial:
        clean, original, authorized = _split_partial(clean)
    base: dict | None = None
    if original:
        out["original_request"] = original
        base = _parse(original, lexicon, voc, allow_partial=False)

    scan = _Scan(clean)

    # -- date of service and retrospective ------------------------------------------------
    dos = None
    for m in _DOS.finditer(clean):
        dos = _iso_date(m)
        scan.take(m)
        tail = _DOS_RANGE_TAIL.match(clean, m.end())
        if tail:
            scan.used.append((tail.start(), tail.end()))
            warnings.append("date of service given as a range; the first date is used")
        if dos is None:
            warnings.append(f"date of service {m.group(0)!r} is not a valid date")
        break
    retro_m = voc.retro.search(clean)
    if retro_m:
        scan.take(retro_m)
    retrospective = bool(retro_m) or dos is not None

    # -- services, drugs and the kind -----------------------------------------------------
    mentions = lexicon.find(clean)
    service = [(m, meanings) for m, meanings in voc.service.finditer(clean) if meanings]
    # whether visits are stated matters only to phrases that need them ("Ultrasound 1 times 8")
    visits_stated = any(p.needs_visits for _, ms in service for p in ms) and _has_schedule(clean)
    head_end = _head_end(clean, voc.head_breaks)
    kind, kind_match = _choose_kind(voc, service, mentions, head_end, visits_stated)
    if kind == "other" and base is not None and base.get("kind") not in (None, "other"):
        kind = base["kind"]
    out["kind"] = kind
    # "Associated surgical service: Physical therapy sessions, 12" is physical therapy tied to a
    # surgery: the kind is the inner service's; the tie is `perioperative` (and `depends_on`, set
    # when the letter holds the surgery). A service that exists only with a surgery (clearance,
    # assistant surgeon, hospital stay) keeps the kind surgery_associated.
    inner = kind
    marker = None
    if kind == "surgery_associated" and kind_match is not None:
        after = [(m, meanings) for m, meanings in service if m.start() >= kind_match.end()]
        inner_mentions = [d for d in mentions if d.start >= kind_match.end()]
        inner, _ = _choose_kind(voc, after, inner_mentions, len(clean), visits_stated)
        if inner not in ("other", "surgery", "surgery_associated"):
            marker, kind = kind_match, inner
            out["kind"] = kind
    phase = _perioperative(voc, clean, kind, marker is not None, service, head_end)
    if phase is None and base is not None:
        phase = base.get("perioperative")
    if phase:
        out["perioperative"] = phase

    # -- modality ---------------------------------------------------------------------------
    body_part, side, body_warnings = _body_part(voc, clean)
    if body_part is None and base is not None:
        body_part, side = base.get("body_part"), base.get("side")
    modality = _modality(voc, kind, service, visits_stated, body_part)
    if modality is None and base is not None and base.get("kind") == kind:
        modality = base.get("modality")
    if modality:
        out["modality"] = modality

    # -- drug details -----------------------------------------------------------------------
    if kind == "drug":
        for mention in mentions:        # "Tylenol #3" holds no quantity
            scan.used.append((mention.start, mention.end))
        _fill_drug(out, scan, clean, mentions, lexicon, warnings)
        if "drug" not in out and base is not None and "drug" in base:
            out["drug"] = dict(base["drug"])
    elif mentions:
        ingredients = _ingredients(clean, mentions)
        if ingredients:
            out["drug"] = {"ingredients": ingredients}

    # -- counts, schedules, supplies ----------------------------------------------------------
    if kind == "drug":
        _fill_drug_amounts(out, scan, clean, warnings)
    else:
        _fill_schedule(out, scan, clean, inner, warnings)

    if out.get("modality") in _COUNTED_IN_DAYS and "quantity" not in out and out.get("duration_weeks"):
        out["quantity"] = int(round(out["duration_weeks"] * 7))     # durations keep 0.1 week: whole days come back
    if body_part:
        out["body_part"] = body_part
        warnings.extend(body_warnings)
    if side:
        out["side"] = side
    if dos is None and base is not None and base.get("date_of_service"):
        dos = base["date_of_service"]
    if dos:
        out["date_of_service"] = dos
    if base is not None and base.get("retrospective"):
        retrospective = True
    if retrospective:
        out["retrospective"] = True
    if authorized:
        out[authorization_field({"text": clean, "original_request": original}, authorized, lexicon, voc)] = authorized

    # -- the item name ------------------------------------------------------------------------
    # "Associated surgical service:" is dropped from the name; "Assistant surgeon" names the item
    strip = marker if marker is not None else (
        kind_match if kind == "surgery_associated" and kind_match is not None
        and not any(p.modality for p in voc.service.meanings(kind_match.group())) else None)
    item = _item_name(out, scan, clean, kind, strip, mentions, head_end, voc)
    if item:
        out["item"] = item
    if kind == "other":
        warnings.append("item not recognised: no drug of the lexicon and no service phrase; kind set to 'other'")
    if warnings:
        out["warnings"] = list(dict.fromkeys(warnings))
    return {k: out[k] for k in _KEY_ORDER if k in out}


_KEY_ORDER = ["text", "item", "kind", "modality", "drug", "quantity", "refills", "doses_per_day", "days_supply",
              "frequency_per_week", "duration_weeks", "visits", "visits_min", "body_part", "side", "date_of_service",
              "retrospective", "perioperative", "original_request", "authorized", "substitute", "warnings"]


def authorization_field(request: dict, authorized: str, lexicon: Lexicon | None = None,
                        vocabulary: RequestVocabulary | None = None) -> str:
    """Where what the claims administrator authorized goes: `authorized` when it is part of the
    original request (less of the same service, or one of the procedures it named): the disputed
    item is then the remainder; `substitute` when it is a different service given instead (a
    skilled nursing facility for inpatient rehabilitation, another drug): not the first part of
    the request. When the texts do not say enough to tell, `authorized`."""
    lexicon = lexicon or load_lexicon()
    voc = vocabulary or load_request_vocabulary()
    other = _parse(authorized, lexicon, voc, allow_partial=False)
    pool = request.get("original_request") or request.get("text") or ""
    generics = {m.drug.generic for m in lexicon.find(pool)}
    modalities, kinds = set(), set()
    for _hit, meanings in voc.service.finditer(pool):
        for p in meanings:
            kinds.add(p.kind)
            if p.modality:
                modalities.add(p.modality)
    if generics:
        kinds.add("drug")
    kind = other.get("kind")
    if kind == "drug":
        generic = (other.get("drug") or {}).get("generic")
        return "substitute" if generic and generics and generic not in generics else "authorized"
    modality = other.get("modality")
    if modality and modalities:
        return "authorized" if modality in modalities else "substitute"
    if kind not in (None, "other") and kinds:
        return "authorized" if kind in kinds else "substitute"
    return "authorized"


def _perioperative(voc: RequestVocabulary, text: str, kind: str, marked: bool, service, head_end: int) -> str | None:
    """How the item is tied to a surgery: pre_operative, post_operative or associated (see
    `perioperative_phrases` in rules/vocab/request_kinds.yaml), or None. A surgery itself is not
    tied to one."""
    if kind == "surgery":
        return None
    found = {phase for phase, regex in voc.perioperative if regex.search(text)}
    if "pre_operative" in found and "post_operative" not in found:
        return "pre_operative"
    if "post_operative" in found and "pre_operative" not in found:
        return "post_operative"
    if found or marked or kind == "surgery_associated":
        return "associated"
    if kind in voc.service_kinds:
        # a service of a named procedure: "Cold therapy unit for the knee arthroscopy"
        for m, meanings in service:
            if m.start() >= head_end and any(p.kind == "surgery" for p in meanings):
                return "associated"
    return None


def _has_schedule(text: str) -> bool:
    if any(r.search(text) for r in _FREQ_WEEK) or any(r.search(text) for r, _ in _FREQ_WEEK_WORDS):
        return True
    if _COMPACT.search(text) or any(r.search(text) for r in _VISITS):
        return True
    m = _COUNT.search(text)
    return bool(m and not m.group(0).startswith("#"))


def _head_end(text: str, breaks: tuple[str, ...]) -> int:
    low = text.lower()
    end = len(text)
    for b in breaks:
        i = low.find(b)
        if i > 0:
            end = min(end, i)
    return end


def _choose_kind(voc: RequestVocabulary, service, mentions: list[DrugMention], head_end: int,
                 visits_stated: bool) -> tuple[str, re.Match | None]:
    candidates: list[tuple[int, int, str, re.Match | None]] = []   # (in_head, rank, kind, match)
    for m, meanings in service:
        usable = [p for p in meanings if not p.needs_visits or visits_stated]
        if any(p.needs_visits for p in usable):       # a phrase that needs visits wins on its own span
            usable = [p for p in usable if p.needs_visits]
        for p in usable:
            candidates.append((m.start() < head_end, voc.kind_rank[p.kind], p.kind, m))
    for mention in mentions:
        candidates.append((mention.start < head_end, voc.kind_rank["drug"], "drug", None))
    if not candidates:
        return "other", None
    in_head = [c for c in candidates if c[0]]
    pool = in_head or candidates
    best = min(pool, key=lambda c: (c[1], c[3].start() if c[3] else 0))
    kind = best[2]
    for target in voc.yields_to.get(kind, ()):
        for c in candidates:
            if c[2] == target:
                return target, c[3]
    return kind, best[3]


def _modality(voc: RequestVocabulary, kind: str, service, visits_stated: bool, body_part: str | None) -> str | None:
    found: list[str] = []
    for m, meanings in service:
        for p in meanings:
            if p.modality is None or (p.needs_visits and not visits_stated):
                continue
            if voc.modality_kind.get(p.modality) == kind:
                if p.modality not in found:
                    found.append(p.modality)
    for combined, parts in voc.combines:
        if parts <= set(found) or combined in found:
            return combined
    if found:
        return found[0]
    if body_part:
        return voc.default_modality.get((kind, body_part))
    return None


def _body_part(voc: RequestVocabulary, text: str) -> tuple[str | None, str | None, list[str]]:
    hits: list[tuple[int, int, str, str | None]] = []
    for m, meanings in voc.body.finditer(text):
        if meanings:
            hits.append((m.start(), m.end(), meanings[0].body_part, meanings[0].side))
    taken = [(a, b) for a, b, _, _ in hits]
    for regex, bid in voc.body_patterns:
        for m in regex.finditer(text):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                hits.append((m.start(), m.end(), bid, None))
                taken.append((m.start(), m.end()))
    if not hits:
        return None, None, []
    hits.sort()
    start, end, part, side = hits[0]
    distinct = list(dict.fromkeys(h[2] for h in hits))
    warnings = []
    if len(distinct) > 1:
        warnings.append(f"several body parts named ({', '.join(distinct)}); body_part is the first")
    if side is None:
        side = _side_near(text, start, end)
    if side is None:
        sides = {_SIDE_NORMAL[m.group("s").lower()] for m in _SIDE.finditer(text)
                 if m.group("s").lower() not in ("l", "r")}
        if len(sides) == 1:
            side = sides.pop()
        elif {"left", "right"} <= sides:
            side = None
            warnings.append("both left and right named; side not set")
    if side is None and _PLURAL_PARTS.search(text[start:end + 2]):
        side = "bilateral"
    return part, side, warnings


def _side_near(text: str, start: int, end: int) -> str | None:
    before = text[max(0, start - 30):start]
    words = re.findall(r"[A-Za-z/]+", before)[-4:]
    found = [_SIDE_NORMAL[w.lower()] for w in words if w.lower() in _SIDE_NORMAL and w.lower() not in ("l", "r")]
    # a lone "L"/"R" counts only right before the body part ("R knee")
    if words and words[-1] in ("L", "R"):
        found.append(_SIDE_NORMAL[words[-1].lower()])
    after = re.match(r"\s*(?:,\s*)?(bilateral(?:ly)?|bilat|left|right)\b", text[end:], re.I)
    if after:
        found.append(_SIDE_NORMAL[after.group(1).lower()])
    if not found:
        return None
    if "left" in found and "right" in found:
        return "bilateral"
    return found[-1]


# ----------------------------------------------------------------------------- drugs

def _strength_after(text: str, start: int, end: int) -> tuple[str, re.Match, int] | None:
    window = text[start:end]
    best = None
    for name, regex in _STRENGTH:
        for m in regex.finditer(window):
            if name == "bare" and m.start() != 0:
                continue
            if name == "one" and m.group("u").lower() in ("units", "iu", "meq") and best:
                continue
            # a date (8/4/15) is no strength
            if name in ("two", "bare") and re.match(r"\s*/\s*\d", window[m.end():]):
                continue
            if best is None or m.start("a") < best[1].start("a"):
                best = (name, m, start)
            break
    return best


def _fmt(x: str) -> str:
    value = float(x)
    return str(int(value)) if value.is_integer() and "." not in x else x


def _opioid_strength(drug: Drug, parts: list[float]) -> float:
    index = drug.opioid_component if drug.opioid_component is not None and drug.opioid_component < len(parts) else 0
    value = parts[index]
    # a non-opioid partner (acetaminophen, ibuprofen, aspirin) is >= 200 mg; the opioid is the small number
    small = [p for p in parts if p < 200]
    if value >= 200 and small:
        value = small[0]
    return value


def _fill_drug(out: dict, scan: _Scan, text: str, mentions: list[DrugMention], lexicon: Lexicon,
               warnings: list[str]) -> None:
    form = None
    for regex, name in (() if _ANY_FORM.cannot_match(text) else _FORMS):
        if regex.search(text):
            form = name
            break
    release = _RELEASE_CASE.search(text)
    release_ok = release and (release.group(0).isupper() or " " in release.group(0) or "-" in release.group(0))
    compounded = bool(_COMPOUNDED.search(text))
    topical_word = bool(_TOPICAL_WORD.search(text))
    drug: dict = {}

    if not mentions:
        name = _strip_counts(text[:_head_end(text, (",", ":", "(", " with "))]).strip(" :,-") or text
        drug["name"] = name
        if form:
            drug["form"] = form
        if compounded:
            drug["compounded"] = True
        if form in _TOPICAL_FORMS or topical_word:
            drug["drug_class"] = "topical_analgesic"
            # a product named only by a brand the lexicon does not know: its ingredients are not guessed
            warnings.append("topical product not in the lexicon: its ingredients are unknown (not guessed)")
        out["drug"] = drug
        warnings.append("no drug of the lexicon named; drug name kept as written")
        return

    generics = list(dict.fromkeys(m.drug.generic for m in mentions))
    first = mentions[0]
    brand_mention = next((m for m in mentions if m.brand and m.drug.generic == first.drug.generic), None)
    brand_info = lexicon.brand(brand_mention.brand) if brand_mention else None
    entry = first.drug
    for m in mentions:
        if lexicon.is_misspelling(m.matched):
            warnings.append(f"drug name {m.matched!r} read as a misspelling of {m.drug.generic}")

    # strength: the first strength written after the drug name
    next_start = next((m.start for m in mentions[1:] if m.drug.generic != first.drug.generic), len(text))
    found = _strength_after(text, first.end, min(len(text), max(next_start, first.end + 1), first.end + 60))
    strength = strength_mg = None
    parts: list[float] = []
    if found:
        name, m, offset = found
        scan.used.append((m.start() + offset, m.end() + offset))
        if name in ("two", "bare"):
            unit = (m.group("u") or "").lower() if name == "two" else ""
            strength = f"{_fmt(m.group('a'))}/{_fmt(m.group('b'))}{unit}"
            parts = [float(m.group("a")), float(m.group("b"))]
            if unit == "mcg":
                parts = [p / 1000 for p in parts]
            if len(parts) == 2 and entry.two_part_strength and lexicon.drugs.get(entry.two_part_strength):
                entry = lexicon.drugs[entry.two_part_strength]
            strength_mg = _opioid_strength(entry, parts) if entry.drug_class == "opioid" else parts[0]
        elif name == "rate":
            unit = m.group("u").lower()
            per = re.sub(r"\s+", "", m.group("per").lower()).replace("hour", "hr")
            per = "hr" if per == "h" else per
            strength = f"{_fmt(m.group('a'))}{unit}/{per}"
            if per.endswith("hr"):
                warnings.append(f"strength {strength} is a rate; strength_mg not set")
        else:
            unit = m.group("u").lower()
            unit = "%" if unit == "percent" else unit
            strength = f"{_fmt(m.group('a'))}{unit}"
            if unit == "mg":
                strength_mg = float(m.group("a"))
            elif unit == "mcg":
                strength_mg = float(m.group("a")) / 1000

    brand_form = brand_info.form if brand_info else None
    topical = (form in _TOPICAL_FORMS or brand_form in _TOPICAL_FORMS or topical_word or (strength or "").endswith("%")) \
        and entry.route not in ("topical", "transdermal")
    if topical:
        variant = lexicon.variant(entry.generic, "topical")
        if variant is not None:
            entry = variant
    multi = len(generics) > 1 and not (len(generics) == 2 and first.drug.generic in lexicon.drugs
                                       and generics[1] in first.drug.ingredients)
    if brand_info and brand_info.compounded:
        compounded = True
    if topical and multi:
        compounded = True

    if multi and compounded:
        name = _strip_counts(text[:mentions[0].start]).strip(" :,-") or first.matched
        drug["name"] = name if mentions[0].start > 0 else first.matched
        drug["drug_class"] = "topical_analgesic" if (topical or form in _TOPICAL_FORMS) else entry.drug_class
    else:
        drug["name"] = first.matched
        if brand_mention:
            drug["brand"] = brand_mention.brand
        drug["generic"] = entry.generic
        drug["drug_class"] = "topical_analgesic" if topical and entry.drug_class not in ("topical_analgesic",) else entry.drug_class
        if strength:
            drug["strength"] = strength
        if strength_mg is not None:
            drug["strength_mg"] = _intish(strength_mg)
        if multi:
            warnings.append(f"several drugs named ({', '.join(generics)}); the request's drug is the first, {first.drug.generic}")
    if release_ok:
        drug_form = f"extended-release {form}" if form in ("tablet", "capsule") else "extended-release"
    elif _DELAYED.search(text) and form in ("tablet", "capsule", None):
        drug_form = f"delayed-release {form}" if form else "delayed-release"
    else:
        drug_form = form
    if drug_form is None and brand_info and brand_info.form:
        drug_form = brand_info.form
    if drug_form:
        drug["form"] = drug_form
    if compounded:
        drug["compounded"] = True
    if multi or compounded or topical and entry is not first.drug:
        ingredients = _ingredients(text, mentions)
        if brand_info and brand_info.ingredients:
            have = {i.get("generic") for i in ingredients}
            for g in brand_info.ingredients:
                if g not in have and g in lexicon.drugs:
                    ingredients.append({"name": g, "generic": g, "drug_class": lexicon.drugs[g].drug_class})
        if len(ingredients) > 1 or multi or (topical and compounded):
            drug["ingredients"] = ingredients
    elif brand_info and brand_info.ingredients:
        ingredients = _ingredients(text, mentions[:1])
        for g in brand_info.ingredients:
            if g in lexicon.drugs:
                ingredients.append({"name": g, "generic": g, "drug_class": lexicon.drugs[g].drug_class})
        drug["ingredients"] = ingredients
    elif entry.drug_class == "topical_analgesic" and len(entry.ingredients) > 1:
        # a combination product named by its brand (Terocin, Medrox): each of its drugs, so that the
        # rule on compounded and combination topicals can read them
        drug["ingredients"] = [{"name": g, "generic": g, "drug_class": lexicon.drugs[g].drug_class}
                               for g in entry.ingredients if g in lexicon.drugs]
    out["drug"] = drug


def _ingredients(text: str, mentions: list[DrugMention]) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for i, m in enumerate(mentions):
        if m.drug.generic in seen:
            continue
        seen.add(m.drug.generic)
        nxt = mentions[i + 1].start if i + 1 < len(mentions) else len(text)
        after = text[m.end:min(nxt, m.end + 30)]
        item: dict = {"name": m.matched, "generic": m.drug.generic, "drug_class": m.drug.drug_class}
        pm = _PERCENT_AFTER.match(after)
        if pm:
            item["percent"] = _intish(float(pm.group("a")))
        mm = _MG_AFTER.match(after)
        if mm:
            item["strength_mg"] = _intish(float(mm.group("a")))
        out.append(item)
    return out


def _fill_drug_amounts(out: dict, scan: _Scan, text: str, warnings: list[str]) -> None:
    # refills first: "with 2 refills" must not be read as a quantity
    refills = None
    for regex in _REFILLS:
        m = scan.first(regex)
        if m:
            n = m.group("n").lower()
            refills = 0 if n == "no" else _num(n)
            break
    quantity, count_unit = None, True
    m = scan.first(_QTY_HASH)
    if m:
        quantity = _num(m.group("n").replace(",", ""))
        unit = (m.group("u") or "").lower()
        count_unit = not unit or unit.startswith(("tab", "cap", "pill", "patch", "unit"))
    if quantity is None:
        m = scan.first(_QTY_LABEL) or scan.first(_QTY_COUNT)
        if m:
            quantity = _num(m.group("n"))
            unit = (m.groupdict().get("u") or "").lower()
            count_unit = not unit or unit.startswith(("tab", "cap", "pill", "patch"))
    if quantity is None:
        m = scan.first(_QTY_AMOUNT)
        if m:
            quantity, count_unit = _num(m.group("n")), False
    if quantity is not None:
        out["quantity"] = int(round(quantity))
    elif _UNKNOWN_QTY.search(text):
        warnings.append("quantity stated as unknown")
    else:
        warnings.append("no quantity stated")
    if refills is not None:
        out["refills"] = int(refills)

    # doses per day: units per dose x doses per day
    per_day, where = None, None
    m = scan.first(_ON_OFF)
    if m:
        per_day, where = 1.0, m
    if per_day is None:
        m = scan.first(_EVERY_HOURS)
        if m:
            hours = min(float(m.group("a")), float(m.group("b") or m.group("a")))
            if hours > 0:
                per_day, where = 24.0 / hours, m
    if per_day is None:
        m = scan.first(_TIMES_DAY)
        if m:
            n = m.group("n").lower()
            per_day = {"once": 1.0, "twice": 2.0, "thrice": 3.0}.get(n, _num(n))
            where = m
    if per_day is None:
        for regex, value in _ABBREV_DAY:
            m = scan.first(regex)
            if m:
                per_day, where = value, m
                break
    if per_day:
        units = 1.0
        window = text[max(0, where.start() - 40):where.start()]
        um = None
        for um in _UNITS_BEFORE.finditer(window):
            pass
        if um:
            a = _num(um.group("a")) if um.group("a") not in ("half", "1/2") else 0.5
            b = _num(um.group("b")) if um.group("b") else None
            units = max(a or 1.0, b or 0.0)
        out["doses_per_day"] = _intish(units * per_day)

    # days supply: stated, else quantity / doses per day
    days = None
    for regex in _DAY_SUPPLY:
        m = scan.first(regex)
        if m:
            days = _num(m.group("n"))
            break
    if days is None:
        m = scan.first(_MONTH_SUPPLY)
        if m:
            months = _num(m.group("n"))
            days = months * 30 if months else None
    if days is None and quantity and out.get("doses_per_day") and count_unit:
        days = quantity / out["doses_per_day"]
    if days is not None:
        out["days_supply"] = _intish(round(days, 1))


def _fill_schedule(out: dict, scan: _Scan, text: str, kind: str, warnings: list[str]) -> None:
    sessions = kind in _SESSION_KINDS
    freq = duration = None
    freq_low = duration_low = None      # the lower bounds of a range, for `visits_min`
    for regex in _FREQ_WEEK:
        m = scan.first(regex)
        if m:
            freq, ranged = _range_value(m)
            if ranged:
                freq_low = _range_low(m)
                warnings.append(f"frequency given as a range ({m.group(0).strip()}); the upper bound is used")
            break
    if freq is None:
        for regex, value in _FREQ_WEEK_WORDS:
            if scan.first(regex):
                freq = value
                break
    if freq is None and kind == "home_health" and scan.first(_DAILY_SERVICE):
        freq = 7.0
    for regex, factor in _DURATION:
        m = scan.first(regex)
        if m:
            value, ranged = _range_value(m)
            if value is not None:
                duration = round(value * factor, 1)
                if ranged:
                    duration_low = round(_range_low(m) * factor, 1)
                    warnings.append(f"duration given as a range ({m.group(0).strip()}); the upper bound is used")
            break
    if freq is None and duration is None:
        m = scan.first(_COMPACT)
        if m:
            freq, duration = float(m.group("f")), float(m.group("d"))

    stated: list[float] = []
    stated_low: list[float] = []
    for regex in _VISITS:
        for m in scan.all(regex, take=False):
            # consume the number and the word "sessions", not the service words between them
            if "unit" in m.groupdict() and m.group("unit"):
                number_end = m.end("b") if m.group("b") else m.end("a")
                scan.used += [(m.start(), number_end), (m.start("unit"), m.end("unit"))]
            else:
                scan.take(m)
            value, ranged = _range_value(m)
            if value is not None:
                stated.append(value)
                stated_low.append(_range_low(m) if ranged else value)
                if ranged:
                    warnings.append(f"count given as a range ({m.group(0).strip()}); the upper bound is used")
    count = None
    m = scan.first(_COUNT)
    if m:
        count = _num(m.group("a"))
    elif not stated:
        m = scan.first(_TRAILING_COUNT)
        if m:
            count = _num(m.group("a"))

    visits = visits_low = None
    if stated:
        visits = sum(stated)
        visits_low = sum(stated_low)
        if len(stated) > 1:
            warnings.append(f"several visit counts named ({', '.join(str(_intish(s)) for s in stated)}); visits is their sum")
    elif count is not None and sessions:
        visits = count
    schedule = freq * duration if freq is not None and duration is not None else None
    if visits is None and schedule is not None and sessions:
        visits = schedule
        if freq_low is not None or duration_low is not None:
            visits_low = (freq_low if freq_low is not None else freq) * (duration_low if duration_low is not None else duration)
    elif visits is not None and schedule is not None and abs(visits - schedule) > 0.01 and len(stated) <= 1:
        warnings.append(f"stated count ({_intish(visits)}) differs from the schedule "
                        f"({_intish(freq)} per week for {_intish(duration)} weeks = {_intish(schedule)})")
    if count is not None and not sessions:
        out["quantity"] = int(round(count))
    if freq is not None:
        out["frequency_per_week"] = _intish(freq)
    if duration is not None:
        out["duration_weeks"] = _intish(duration)
    if visits is not None:
        if sessions:
            out["visits"] = int(math.ceil(visits))
            if visits_low is not None and visits_low < visits:
                # a range ("1-2 times a week for 6 weeks"): the fewest visits it allows
                out["visits_min"] = int(math.ceil(visits_low))
        elif "quantity" not in out:
            out["quantity"] = int(math.ceil(visits))


# ----------------------------------------------------------------------------- item name

_COUNT_WORDS = _rx(r"^(?:" + NUM + r")(?:\s*(?:-|to)\s*" + NUM + r")?\s+(?=[a-z])", _I)
_LEADING_JUNK = _rx(r"^(?:request(?:ed)?\s+(?:for|of)\s+|for\s+|of\s+|the\s+|an?\s+|and\s+|with\s+|:\s*|-\s*|,\s*)+", _I)
_TRAILING_JUNK = _rx(r"(?:\s+(?:for|of|with|and|to|the|a|an|per|x|times|at|in|on|is)|\s*[:,;\-#(\[/])+\s*$", _I)
_GLOSS = _rx(r"\s*\([^()]*\)|\s*\[[^\[\]]*\]")
_COUNTS_INLINE = _rx(
    r"\b(?:sessions?|visits?|treatments?)\s+of\b|\b(?:qty|quantity)\b\s*:?|\bunknown\s+quantity\b|\(\s*\)|\[\s*\]", _I)


def _strip_counts(text: str) -> str:
    text = _COUNT_WORDS.sub("", text.strip())
    return " ".join(text.split())


def _item_name(out: dict, scan: _Scan, text: str, kind: str, marker: re.Match | None,
               mentions: list[DrugMention], head_end: int, voc: RequestVocabulary) -> str:
    if kind == "drug" and out.get("drug", {}).get("name"):
        return out["drug"]["name"]
    # blank the spans the patterns consumed, then keep the head of what is left
    chars = list(text)
    for a, b in scan.used:
        for i in range(max(0, a), min(len(chars), b)):
            chars[i] = " "
    rest = "".join(chars)
    if marker is not None and marker.start() < 5:
        after = rest[marker.end():].lstrip(" :")
        if after:
            rest = after
    rest = _COUNTS_INLINE.sub(" ", rest)
    rest = _GLOSS.sub("", rest)                   # "MRI (magnetic resonance imaging) of ..." -> "MRI of ..."
    rest = " ".join(rest.split())
    end = _head_end(rest, voc.head_breaks) if rest else 0
    link = re.match(r"\s+(?:with|to)\s+", rest[end:])
    if link and len(_strip_counts(rest[:end]).split()) == 1:
        # a one-word head is completed by its object: "Consult with hip replacement specialist"
        tail_start = end + link.end()
        end = tail_start + _head_end(rest[tail_start:], voc.head_breaks)
    head = rest[:end] if end > 0 else rest
    for _ in range(3):
        before = head
        head = _LEADING_JUNK.sub("", _strip_counts(head))
        head = _TRAILING_JUNK.sub("", head).strip()
        if head == before:
            break
    if not head:
        head = _TRAILING_JUNK.sub("", _LEADING_JUNK.sub("", rest)).strip() or " ".join(text.split())
    head = re.sub(r"\(\s*$", "", head).strip()
    if head.count("(") > head.count(")"):
        head = head[:head.rfind("(")].strip() or head
    return head
