"""Facts and findings, with evidence, from the text of an IMR letter.

Stage: extraction. Input: the normalised letter text and the segments to read, as
`(section, start, end)` offsets into it (`section` is "summary", "item" or "rationale").
Output: case parts in the form of `engine/schemas/case.schema.json`:

- `extract_facts(text, segments)` -> {"patient", "injury", "diagnoses", "medications",
  "treatments", "pain", "findings"} (only the keys something was found for);
- `extract_item_facts(text, segments)` -> {"findings", "medications"} for one item's rationale.

Every value that can carry evidence carries {"section", "start", "end", "quote"} with
quote == text[start:end]. Raises nothing for odd text: a sentence that cannot be read yields no
fact. All trigger phrases, negation cues and context words are data (rules/vocab/findings.yaml,
diagnosis_tags.yaml, negation.yaml); this module is a general matcher over them:

1. a segment is split into sentences; guideline quotations (a quote opened in a sentence that
   cites a guideline) are blanked, keeping sentence ends;
2. boilerplate sentences and guideline sentences (docs/findings.md) are skipped; the reviewer's
   conclusions ("is not medically necessary", "Upheld", "the criteria ... were met") are blanked,
   so they can never make or change a fact;
3. concept phrases are looked up only in sentences holding one of their trigger words; a match
   gets its status from the negation cues in its clause (scope ends at a breaker).

The vocabularies are read and compiled once per process (first use); a call does no I/O.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..paths import vocab_dir
from .literal_gate import Gated
from .phrases import NUM_RE, WORD_RE, Phrase, PhraseError, alternation_source, compile_phrase, tokens

__all__ = ["extract_facts", "extract_item_facts", "load_vocabulary", "Segment"]

Segment = tuple[str, int, int]

# Statuses of a finding mention, strongest first within one extraction: a stated lack or a
# stated absence beats a positive mention (a reviewer who writes "no documentation of pain
# relief" after quoting the patient's report of relief is making the finding), and a positive
# mention beats an `absent_phrase` ("negative Spurling" does not undo "positive straight leg raise").
_RANK = {"absent": 4, "not_documented": 3, "present": 2, "absent_phrase": 1}
_EVIDENCE_MAX = 400
_QUOTE_MAX = 4000
_LONG_QUOTE = 150          # a quotation this long in a rationale is a guideline excerpt


# ================================================================== vocabulary (compiled once)

class _Positions:
    """Where whole words start in a text, found on demand with str.find and kept."""

    __slots__ = ("text", "seen")

    def __init__(self, text: str):
        self.text = text
        self.seen: dict[str, list[int]] = {}

    def of(self, word: str) -> list[int]:
        found = self.seen.get(word)
        if found is None:
            text = self.text
            n = len(text)
            size = len(word)
            found = []
            i = text.find(word)
            while i >= 0:
                if (i == 0 or not text[i - 1].isalnum()) and (i + size >= n or not text[i + size].isalnum()):
                    found.append(i)
                i = text.find(word, i + size)
            self.seen[word] = found
        return found


_POSITIONS: dict[str, _Positions] = {}
_POSITIONS_MAX = 256


def _positions(text: str) -> _Positions:
    """The word positions of `text`, shared by the gates that read the same text (a sentence is
    read by a dozen of them). The cache holds one letter's texts: `extract_facts` and
    `extract_item_facts` empty it when they start, and it is emptied if it grows too big."""
    index = _POSITIONS.get(text)
    if index is None:
        if len(_POSITIONS) >= _POSITIONS_MAX:
            _POSITIONS.clear()
        index = _POSITIONS[text] = _Positions(text)
    return index


class _Gate:
    """A compiled phrase list, the words one of which any match contains (`words`), and the
    words a match can start with (`first`). Given the sentence's word set, `search` and
    `finditer` skip the expression when no trigger word occurs, and otherwise try it only at the
    places where a first word stands (`match` at a position) instead of scanning every
    character: an alternation of many phrases costs a scan per character, a match per word."""

    __slots__ = ("regex", "words", "prefixes", "always", "first", "first_prefixes", "scan")

    def __init__(self, regex: re.Pattern[str], phrases: list[Phrase]):
        self.regex = regex
        # phrases that may start with a number or a punctuation mark are searched for apart
        scanned = [ph for ph in phrases if ph.first is None]
        words: set[str] = set()
        prefixes: set[str] = set()
        first: set[str] = set()
        first_prefixes: set[str] = set()
        always = False
        for ph in phrases:
            if ph.triggers is None:
                always = True
            else:
                for word in ph.triggers:
                    (prefixes.add(word[:-1]) if word.endswith("*") else words.add(word))
            if ph.first is not None:
                for word in ph.first:
                    (first_prefixes.add(word[:-1]) if word.endswith("*") else first.add(word))
        self.words = frozenset(words)
        self.prefixes = tuple(sorted(prefixes))
        self.always = always
        self.first = frozenset(first)
        self.first_prefixes = tuple(sorted(first_prefixes))
        self.scan = re.compile(alternation_source([ph.regex for ph in scanned])) if scanned else None
        if scanned and len(scanned) == len(phrases):
            self.first = None

    def could(self, words: set[str] | None, text: str) -> bool:
        if words is None or self.always or not self.words.isdisjoint(words):
            return True
        for prefix in self.prefixes:
            if prefix in text:
                return True
        return False

    def _starts(self, text: str, words: set[str], index: "_Positions | None") -> list[int]:
        if index is None:
            index = _positions(text)
        present = self.first.intersection(words)
        if not self.first_prefixes and len(present) == 1:
            for word in present:
                return index.of(word)            # sorted already
        starts: set[int] = set()
        for word in present:
            starts.update(index.of(word))
        for prefix in self.first_prefixes:
            i = text.find(prefix)
            while i >= 0:
                if i == 0 or not text[i - 1].isalnum():
                    starts.add(i)
                i = text.find(prefix, i + 1)
        return sorted(starts)

    def search(self, text: str, pos: int = 0, words: set[str] | None = None,
               index: _Positions | None = None):
        if words is None:
            return self.regex.search(text, pos)
        if not self.always and self.words.isdisjoint(words):     # `could`, inline: the common exit
            for prefix in self.prefixes:
                if prefix in text:
                    break
            else:
                return None
        if self.first is None:
            return self.regex.search(text, pos)
        best = self.scan.search(text, pos) if self.scan is not None else None
        for start in self._starts(text, words, index):
            if best is not None and start >= best.start():
                break
            if start >= pos:
                m = self.regex.match(text, start)
                if m:
                    return m
        return best

    def finditer(self, text: str, pos: int = 0, words: set[str] | None = None,
                 index: _Positions | None = None):
        if words is None:
            return self.regex.finditer(text, pos)
        if not self.always and self.words.isdisjoint(words):     # `could`, inline
            for prefix in self.prefixes:
                if prefix in text:
                    break
            else:
                return iter(())
        if self.first is None:
            return self.regex.finditer(text, pos)
        found = []
        last = pos
        for start in self._starts(text, words, index):
            if start >= last:
                m = self.regex.match(text, start)
                if m:
                    found.append(m)
                    last = max(m.end(), start + 1)
        if self.scan is not None:
            found.extend(self.scan.finditer(text, pos))
            found.sort(key=lambda m: m.start())
        return iter(found)


def _group_regex(groups: dict[str, list[str]]) -> _Gate:
    """One pattern with a named group per label; longest phrases first inside a group."""
    parts = []
    every: list[Phrase] = []
    for label, phrases in groups.items():
        compiled = sorted((compile_phrase(p) for p in phrases), key=lambda ph: -len(ph.text))
        every.extend(compiled)
        if compiled:
            parts.append(f"(?P<{label}>" + alternation_source([ph.regex for ph in compiled]) + ")")
    return _Gate(re.compile("|".join(parts) if parts else r"(?!x)x"), every)


def _alternation(phrases: list[str]) -> _Gate:
    compiled = sorted((compile_phrase(p) for p in phrases), key=lambda ph: -len(ph.text))
    return _Gate(re.compile(alternation_source([ph.regex for ph in compiled]) if compiled else r"(?!x)x"),
                 compiled)


class _TriggerIndex:
    """Which of a list of phrases (or gates) may match a sentence, from their trigger words: a
    set intersection with the sentence's words instead of a test per phrase. `candidates`
    gives, in list order, the indexes of those that may match; the others cannot."""

    __slots__ = ("by_word", "words", "by_prefix", "always")

    def __init__(self, triggers: list[frozenset[str] | None]):
        by_word: dict[str, list[int]] = {}
        self.by_prefix: list[tuple[str, int]] = []     # (prefix, index) for `word*` triggers
        self.always: list[int] = []                    # no usable trigger: always a candidate
        for index, words in enumerate(triggers):
            if words is None:
                self.always.append(index)
                continue
            for word in sorted(words):
                if word.endswith("*"):
                    self.by_prefix.append((word[:-1], index))
                else:
                    by_word.setdefault(word, []).append(index)
        self.by_word = by_word
        self.words = frozenset(by_word)

    def prefixes_in(self, text: str) -> list[tuple[str, int]]:
        """The prefix triggers found in `text`."""
        return [(prefix, index) for prefix, index in self.by_prefix if prefix in text]

    def candidates(self, words: set[str], text: str, prefixes: list[tuple[str, int]] | None = None) -> list[int]:
        """`prefixes`: the prefix triggers to look for (default: all), e.g. those of the segment."""
        found: set[int] = set(self.always)
        by_word = self.by_word
        for word in self.words.intersection(words):
            found.update(by_word[word])
        for prefix, index in (self.by_prefix if prefixes is None else prefixes):
            if prefix in text:
                found.add(index)
        return sorted(found)


def _gate_triggers(gate: _Gate) -> frozenset[str] | None:
    """A gate's trigger words in `_TriggerIndex` form (None: it may match any text)."""
    if gate.always:
        return None
    return gate.words | frozenset(prefix + "*" for prefix in gate.prefixes)


@dataclass
class _ConceptPhrase:
    concept: str
    kind: str                  # "present" or "absent_phrase"
    phrase: Phrase
    gate: _Gate
    required: tuple = ()       # the phrase's required word sets, each with its `w*` prefixes apart

    def __post_init__(self):
        self.required = tuple((options, tuple(o[:-1] for o in options if o.endswith("*")))
                              for options in self.phrase.required)


@dataclass
class Vocabulary:
    """The compiled extraction vocabulary (see `load_vocabulary`)."""

    concepts: dict[str, str]                       # id -> meaning
    negated_status: dict[str, str]                 # id -> status a plain negation gives
    phrases: list[_ConceptPhrase]
    phrase_index: _TriggerIndex                    # which phrases a sentence's words allow
    phrase_order: list[int]                        # phrase index -> its place: absent phrases first
    scope: dict[str, int]
    nd_cue: _Gate
    absent_cue: _Gate
    post_cue: _Gate                      # groups: nd, absent
    breaker: _Gate
    guideline: _Gate
    opener: re.Pattern[str]
    continuation: re.Pattern[str]
    finite_verb: _Gate
    enumeration: re.Pattern[str]
    conclusion: _Gate
    boilerplate: _Gate
    med_status: _Gate                    # groups: skip, current, past, mention
    pain_qualifier: _Gate                # groups: without_meds, with_meds, least, average, after, before
    units: dict[str, float]
    history: _Gate
    not_history: _Gate                   # request / plan cues: what follows was not given
    study_result: _Gate                  # a study's result or date: the study was done
    study_kinds: _Gate                   # the imaging and electrodiagnostic kind phrases
    kinds: _Gate                         # one group per treatment kind
    kind_names: dict[str, str]                     # group name -> kind
    dx_list: _Gate
    dx_single: _Gate
    dx_status_post: _Gate
    dx_tags: list[tuple[str, _Gate]]               # (tag, its phrases): a diagnosis may carry several
    dx_tag_index: _TriggerIndex                    # which tags a diagnosis's words allow
    injury_date: _Gate
    mechanism_intro: _Gate
    mechanism_after: _Gate
    injury_context: _Gate
    body_parts: _Gate
    body_names: dict[str, str]
    sex_words: _Gate                     # groups: male, female
    sex_pronouns: _Gate
    pronoun_words: dict[str, frozenset[str]]


def _safe_name(value: str) -> str:
    return re.sub(r"\W", "_", value)


def _read_yaml(path: Path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """Read findings.yaml (and the findings-<area>.yaml files beside it, merged as engine.vocab
    merges them), diagnosis_tags.yaml and negation.yaml from `directory` (default: the shipped
    vocabularies) and compile them. Raises `PhraseError` naming the file, the concept and the bad
    phrase, and `ValueError` for a file of the wrong shape."""
    directory = Path(directory) if directory else vocab_dir()
    tags = _read_yaml(directory / "diagnosis_tags.yaml")
    neg = _read_yaml(directory / "negation.yaml")

    concepts: dict[str, str] = {}
    negated: dict[str, str] = {}
    phrases: list[_ConceptPhrase] = []
    for path in [directory / "findings.yaml"] + sorted(directory.glob("findings-*.yaml")):
        findings = _read_yaml(path)
        if not isinstance(findings, dict) or not isinstance(findings.get("terms"), list):
            raise ValueError(f"{path}: expected a mapping with a `terms:` list")
        for term in findings["terms"]:
            cid = term["id"]
            if cid in concepts:
                raise ValueError(f"{path}: finding concept {cid!r} is defined twice")
            concepts[cid] = term.get("meaning", "")
            if term.get("negated_status"):
                negated[cid] = term["negated_status"]
            for kind, key in (("present", "phrases"), ("absent_phrase", "absent_phrases")):
                for text in term.get(key) or []:
                    try:
                        ph = compile_phrase(text)
                    except PhraseError as err:
                        raise PhraseError(f"{path}: {cid}.{key}: {err}") from None
                    phrases.append(_ConceptPhrase(cid, kind, ph, _Gate(re.compile(ph.regex), [ph])))
    def group_map(mapping: dict[str, list[str]], prefix: str) -> tuple[_Gate, dict[str, str]]:
        names = {f"{prefix}{_safe_name(key)}": key for key in mapping}
        regex = _group_regex({name: mapping[key] for name, key in names.items()})
        return regex, names

    kinds, kind_names = group_map(neg["treatment_kinds"], "k_")
    dx_tags = [(t["id"], _alternation(t["phrases"])) for t in tags["terms"] if t.get("phrases")]
    body, body_names = group_map(neg["body_parts"], "b_")

    def anchored(phrases_: list[str]) -> re.Pattern[str]:
        inner = alternation_source([compile_phrase(p).regex for p in phrases_])
        connective = r"(?:(?:in addition|additionally|furthermore|moreover|also|however|and|but)\s*,?\s*)?"
        return re.compile(r"\s*\W*" + connective + "(?:" + inner + ")")

    return Vocabulary(
        concepts=concepts, negated_status=negated, phrases=phrases,
        phrase_index=_TriggerIndex([cp.phrase.triggers for cp in phrases]),
        phrase_order=[(cp.kind != "absent_phrase") * len(phrases) + i for i, cp in enumerate(phrases)],
        scope=dict(neg["scope_words"]),
        nd_cue=_alternation(neg["not_documented"]),
        absent_cue=_alternation(neg["absent"]),
        post_cue=_group_regex({"nd": neg["post_not_documented"], "absent": neg["post_absent"]}),
        breaker=_alternation(neg["scope_breakers"]),
        guideline=_alternation(neg["guideline_cues"]),
        opener=anchored(neg["guideline_openers"]),
        continuation=anchored(neg["guideline_continuation"]),
        finite_verb=_alternation(neg["finite_verbs"]),
        enumeration=re.compile(neg["enumeration_regex"]),
        conclusion=_alternation(neg["conclusions"]),
        boilerplate=_alternation(neg["boilerplate"]),
        med_status=_group_regex(neg["medication_status"]),
        pain_qualifier=_group_regex(neg["pain_qualifiers"]),
        units={k: float(v) for k, v in neg["duration_units"].items()},
        history=_alternation(neg["treatment_history"]),
        not_history=_alternation(neg["treatment_not_history"]),
        study_result=_alternation(neg["study_result"]),
        study_kinds=_alternation([p for k in ("imaging", "electrodiagnostic") for p in neg["treatment_kinds"].get(k, [])]),
        kinds=kinds, kind_names=kind_names,
        dx_list=_alternation(neg["diagnosis_intro"]["list"]),
        dx_single=_alternation(neg["diagnosis_intro"]["single"]),
        dx_status_post=_alternation(neg["diagnosis_status_post"]),
        dx_tags=dx_tags, dx_tag_index=_TriggerIndex([_gate_triggers(gate) for _, gate in dx_tags]),
        injury_date=_alternation(neg["injury_date_cues"]),
        mechanism_intro=_alternation(neg["mechanism_intro"]),
        mechanism_after=_alternation(neg["mechanism_after_injury"]),
        injury_context=_alternation(neg["injury_context"]),
        body_parts=body, body_names=body_names,
        sex_words=_group_regex(neg["sex_words"]),
        sex_pronouns=_group_regex(neg["sex_pronouns"]),
        pronoun_words={k: frozenset(w.lower() for w in v) for k, v in neg["sex_pronouns"].items()},
    )


@lru_cache(maxsize=1)
def _vocab() -> Vocabulary:
    return load_vocabulary()


@lru_cache(maxsize=1)
def _lexicon():
    try:
        from ..lexicon import load_lexicon
    except ImportError:  # pragma: no cover - the lexicon ships with the package
        return None
    return load_lexicon()


# ================================================================== dates and numbers

_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DATE_RE = re.compile(
    r"(?<![\w/.-])(?:(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4}|\d{2})(?![\w/-])"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\w-])"
    r"|(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>\d{4}))",
    re.I)
_MONTH_YEAR_RE = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:of\s+)?((?:19|20)\d\d)(?![\w/-])")
_YEAR_RE = re.compile(r"(?<![\w/.-])(19[5-9]\d|20[0-4]\d)(?![\w/-])")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"a": 1, "an": 1, "several": None, "a few": None})


def _date_from(m: re.Match[str]) -> str | None:
    try:
        if m.group("m"):
            year = int(m.group("y"))
            if year < 100:
                year += 2000 if year <= 40 else 1900
            value = _dt.date(year, int(m.group("m")), int(m.group("d")))
        elif m.group("iy"):
            value = _dt.date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        else:
            value = _dt.date(int(m.group("my")), _MONTHS[m.group("mon").lower()[:3]], int(m.group("md")))
    except ValueError:
        return None
    if not 1950 <= value.year <= 2050:
        return None
    return value.isoformat()


def _number(token: str) -> float | None:
    token = token.lower().lstrip("#")
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    try:
        return float(token)
    except ValueError:
        return None


# ================================================================== segments and sentences

# A sentence ends at . ! ? (and any closing quote or bracket) followed by white space and a
# capital, digit, bracket or quote; or at a blank line. Abbreviations that end in a period
# before a capital ("Dr. Smith", "e.g. NSAIDs") are kept inside the sentence.
_SENT_END = re.compile(r"(?:[.!?][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c(\[]?[A-Z0-9#])|\n\s*\n)")
_ABBREV = re.compile(r"(?:\b(?:dr|mr|mrs|ms|vs|e\.g|i\.e|etc|no|st|approx|pg|pp|fig|jr|sr|u\.s|inc|ltd|co|mg|ml|al)\.|"
                     r"\b(?:[a-z]\.){2,})$", re.I)
_QUOTE_OPEN = "\"\u201c"
_QUOTE_CLOSE = "\"\u201d"


@dataclass
class _Sentence:
    start: int                  # offset into the segment's lower-cased text
    end: int
    text: str                   # lower-cased, quotations of guidelines blanked
    clean: str | None = None    # text with the reviewer's conclusions blanked
    kind: str | None = None     # "boilerplate", "guideline" or "patient"
    words: set[str] | None = None
    index: _Positions | None = None   # where words start in `clean`
    cues: dict | None = None


@dataclass
class _Seg:
    name: str
    start: int                  # absolute offset of the segment in the letter text
    raw: str                    # text[start:end]
    low: str                    # lower-cased, same length
    sentences: list[_Sentence] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)


def _lower(raw: str) -> str:
    low = raw.lower()
    if len(low) != len(raw):  # a character whose lower case is longer (rare): keep it as is
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in raw)
    return low


def _split(raw: str, low: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans of `raw`. A cut whose punctuation was blanked in `low` (inside a blanked
    quotation) is not a sentence end."""
    spans = []
    cursor = 0
    for m in _SENT_END.finditer(raw):
        cut = m.end()
        mark = raw[m.start()]
        if low is not None and mark in ".!?" and low[m.start()] != mark:
            continue
        if mark == "." and _ABBREV.search(raw, max(cursor, m.start() - 8), m.start() + 1):
            continue
        if raw[cursor:cut].strip():
            spans.append((cursor, cut))
        cursor = cut
    if raw[cursor:].strip():
        spans.append((cursor, len(raw)))
    return spans


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _prepare(text: str, name: str, start: int, end: int, vocab: Vocabulary) -> _Seg:
    raw = text[start:end]
    low = _lower(raw)
    low = _blank_guideline_quotes(raw, low, name, vocab)
    seg = _Seg(name=name, start=start, raw=raw, low=low)
    for s, e in _split(raw, low):
        seg.sentences.append(_Sentence(start=s, end=e, text=low[s:e]))
    seg.starts = [s.start for s in seg.sentences]
    return seg


def _blank_guideline_quotes(raw: str, low: str, name: str, vocab: Vocabulary) -> str:
    """Blank the inside of quotations that cite a guideline, keeping a final . ! ? so that the
    sentence after the quotation still starts a sentence. Quotes of the medical record ("the
    physician noted; "...") are kept."""
    if '"' not in low and "\u201c" not in low:
        return low
    out = low
    pos = 0
    sentence_spans = None
    while True:
        open_at = _find_any(low, _QUOTE_OPEN, pos)
        if open_at < 0:
            break
        close_at = _find_any(low, _QUOTE_CLOSE, open_at + 1)
        if close_at < 0 or close_at - open_at > _QUOTE_MAX:
            break
        if sentence_spans is None:
            sentence_spans = _split(raw)
        starts = [s for s, _ in sentence_spans]
        index = max(0, bisect.bisect_right(starts, open_at) - 1)
        prefix = low[sentence_spans[index][0]:open_at] if sentence_spans else low[:open_at]
        prefix_words = tokens(prefix)
        guideline = (bool(vocab.guideline.search(prefix, words=prefix_words))
                     and not _nd_before(vocab, prefix, None, prefix_words))
        if not guideline and name == "rationale" and close_at - open_at > _LONG_QUOTE:
            guideline = True
        if guideline:
            inner_end = close_at
            while inner_end > open_at + 1 and low[inner_end - 1] in " \t\n":
                inner_end -= 1
            keep = low[inner_end - 1] in ".!?" if inner_end > open_at + 1 else False
            out = _blank(out, open_at + 1, inner_end - 1 if keep else inner_end)
        pos = close_at + 1
    return out


def _find_any(text: str, chars: str, start: int) -> int:
    found = [i for i in (text.find(c, start) for c in chars) if i >= 0]
    return min(found) if found else -1


def _nd_before(vocab: Vocabulary, text: str, limit: int | None = None, words: set[str] | None = None) -> bool:
    m = vocab.nd_cue.search(text, words=words)
    return bool(m) and (limit is None or m.start() < limit)


def _kind(seg: _Seg, index: int, vocab: Vocabulary) -> str:
    """boilerplate / guideline / patient, for the sentence at `index` (cached)."""
    sent = seg.sentences[index]
    if sent.kind is not None:
        return sent.kind
    text = sent.text
    words = _words(sent)
    kind = "patient"
    if vocab.boilerplate.search(text, words=words):
        kind = "boilerplate"
    else:
        cue = vocab.guideline.search(text, words=words)
        if cue and not _nd_before(vocab, text, cue.start(), words):
            kind = "guideline"
        elif vocab.opener.match(text):
            kind = "guideline"
        elif index > 0 and _kind(seg, index - 1, vocab) == "guideline" and (
                vocab.enumeration.match(text) or vocab.continuation.match(text)
                or not vocab.finite_verb.search(text, words=words)):
            kind = "guideline"        # a list item or a fragment continues the guideline before it
    sent.kind = kind
    return kind


def _clean(sent: _Sentence, vocab: Vocabulary) -> str:
    """The sentence with the reviewer's conclusions blanked (cached)."""
    if sent.clean is None:
        text = sent.text
        for m in vocab.conclusion.finditer(text, words=_words(sent)):
            text = _blank(text, m.start(), m.end())
        sent.clean = text
    return sent.clean


def _words(sent: _Sentence) -> set[str]:
    """The words of the sentence (before conclusions are blanked: a superset, for gating)."""
    if sent.words is None:
        sent.words = tokens(sent.text)
    return sent.words


def _index(sent: _Sentence, vocab: Vocabulary) -> _Positions:
    """Where words of the cleaned sentence start (cached): phrases are tried there only."""
    if sent.index is None:
        sent.index = _Positions(_clean(sent, vocab))
    return sent.index


def _cues(sent: _Sentence, vocab: Vocabulary) -> dict:
    if sent.cues is None:
        text = _clean(sent, vocab)
        words = _words(sent)
        index = _index(sent, vocab)
        sent.cues = {
            "nd": [(m.start(), m.end()) for m in vocab.nd_cue.finditer(text, words=words, index=index)],
            "absent": [(m.start(), m.end()) for m in vocab.absent_cue.finditer(text, words=words, index=index)],
            "breaks": [(m.start(), m.end()) for m in vocab.breaker.finditer(text, words=words, index=index)],
        }
    return sent.cues


def _word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def _negation(sent: _Sentence, start: int, end: int, vocab: Vocabulary) -> tuple[str | None, int]:
    """The negation governing the span [start, end) of a sentence: ("not_documented" | "absent"
    | None, offset where the governing cue starts, or `start`)."""
    text = _clean(sent, vocab)
    cues = _cues(sent, vocab)
    clause_start = 0
    clause_end = len(text)
    for b_start, b_end in cues["breaks"]:
        if b_end <= start:
            clause_start = max(clause_start, b_end)
        elif b_start >= end:
            clause_end = min(clause_end, b_start)
            break
    for c_start, c_end in cues["nd"]:
        if c_start >= clause_start and c_end <= start and _word_count(text[c_end:start]) <= vocab.scope["not_documented"]:
            return "not_documented", c_start
    tail = text[end:clause_end]
    post = vocab.post_cue.search(tail, words=_words(sent))
    if post is not None and _word_count(tail[:post.start()]) > vocab.scope["post"]:
        post = None
    if post is not None and post.group("nd"):
        # "no exceptional factors noted within the documentation": a statement about the record
        return "not_documented", start
    for c_start, c_end in cues["absent"]:
        if c_start >= clause_start and c_end <= start and _word_count(text[c_end:start]) <= vocab.scope["absent"]:
            return "absent", c_start
    if post is not None:
        return "absent", start
    return None, start


def _evidence(seg: _Seg, sent: _Sentence, text: str, lo: int | None = None, hi: int | None = None) -> dict:
    """Evidence for a fact read in `sent`: the sentence, or [lo, hi) when the sentence is long."""
    s, e = sent.start, sent.end
    if lo is not None and e - s > _EVIDENCE_MAX:
        s, e = sent.start + lo, sent.start + (hi if hi is not None else lo)
    return _span_evidence(seg, text, s, e)


def _span_evidence(seg: _Seg, text: str, s: int, e: int) -> dict:
    raw = seg.raw
    while s < e and raw[s] in " \t\n\r":
        s += 1
    while e > s and raw[e - 1] in " \t\n\r":
        e -= 1
    start, end = seg.start + s, seg.start + e
    return {"section": seg.name, "start": start, "end": end, "quote": text[start:end]}


def _sentence_at(seg: _Seg, offset: int) -> int:
    return max(0, bisect.bisect_right(seg.starts, offset) - 1)


# ================================================================== findings

def _holds_all(required: tuple[tuple[frozenset[str], tuple[str, ...]], ...], words: set[str], text: str) -> bool:
    """Whether the sentence holds a word of every required set (`w*`: a word starting w);
    `required` pairs each set with the prefixes of its `w*` entries."""
    for options, prefixes in required:
        if options.isdisjoint(words):
            for prefix in prefixes:
                if prefix in text:
                    break
            else:
                return False
    return True


def _findings(seg: _Seg, text: str, vocab: Vocabulary, out: dict[str, tuple[int, dict]]) -> None:
    phrase_index = vocab.phrase_index
    prefixes = phrase_index.prefixes_in(seg.low)     # a sentence holds no prefix its segment lacks
    for index, sent in enumerate(seg.sentences):
        if not sent.text.strip():
            continue
        words = _words(sent)
        candidates = phrase_index.candidates(words, sent.text, prefixes)
        if not candidates or _kind(seg, index, vocab) != "patient":
            continue
        clean = _clean(sent, vocab)
        positions = _index(sent, vocab)
        shadows: dict[str, list[tuple[int, int]]] = {}
        # absent phrases first: "inadequate pain relief" is not a mention of pain relief; then in
        # the vocabulary's order, whatever order the sentence's words came in (that order follows
        # string hashing, which differs from one process to the next)
        for idx in sorted(candidates, key=vocab.phrase_order.__getitem__):
            cp = vocab.phrases[idx]
            if not _holds_all(cp.required, words, sent.text):
                continue
            for m in cp.gate.finditer(clean, words=words, index=positions):
                if cp.kind == "absent_phrase":
                    shadows.setdefault(cp.concept, []).append((m.start(), m.end()))
                elif any(a <= m.start() < b for a, b in shadows.get(cp.concept, ())):
                    continue
                status, cue_at = _negation(sent, m.start(), m.end(), vocab)
                if cp.kind == "absent_phrase":
                    if status == "absent":
                        continue              # "not unable to work": a double negation says nothing
                    status, rank_key = (status or "absent"), (status or "absent_phrase")
                else:
                    if status == "absent":
                        status = vocab.negated_status.get(cp.concept, "absent")
                    status = status or "present"
                    rank_key = status
                rank = _RANK[rank_key]
                previous = out.get(cp.concept)
                if previous is not None and previous[0] >= rank:
                    continue
                finding = {"status": status,
                           "evidence": _evidence(seg, sent, text, min(cue_at, m.start()), m.end())}
                out[cp.concept] = (rank, finding)


# ================================================================== pain scores

_SCORE_RE = Gated(re.compile(
    r"(?<![\w/.])(?P<a>10|\d(?:\.\d)?)(?:\s*(?:-|to|\u2013)\s*(?P<b>10|\d(?:\.\d)?))?\s*"
    r"(?:/\s*10(?![\d/])|out\s+of\s+(?:10|ten)\b)"))


def _pain(seg: _Seg, text: str, vocab: Vocabulary, out: dict) -> None:
    if "10" not in seg.low and "ten" not in seg.low:
        return
    for index, sent in enumerate(seg.sentences):
        clean_src = sent.text
        if "10" not in clean_src and "ten" not in clean_src:
            continue
        scores = list(_SCORE_RE.finditer(clean_src))
        if not scores or _kind(seg, index, vocab) != "patient":
            continue
        clean = _clean(sent, vocab)
        previous_plain = None
        plain: list = []
        for m in scores:
            # the upper value of a range: the patient reports pain "4-5", at least 4 and up to 5
            value = max(float(m.group("a")), float(m.group("b") or 0))
            if value > 10:
                continue
            field_name = None
            after = clean[m.end():m.end() + 60]
            q = vocab.pain_qualifier.search(after, words=_words(sent))
            if q and _word_count(after[:q.start()]) <= 5 and q.lastgroup in ("with_meds", "without_meds"):
                field_name = q.lastgroup
            if field_name is None:
                before = clean[max(0, m.start() - 80):m.start()]
                last = None
                for q in vocab.pain_qualifier.finditer(before, words=_words(sent)):
                    last = q
                if last is not None and _word_count(before[last.end():]) <= 8:
                    field_name = last.lastgroup
            if field_name == "after" and previous_plain is not None:
                prev_value, prev_m = previous_plain
                _set_pain(out, "before", prev_value, seg, text, sent, prev_m)
                plain.remove(previous_plain)
                previous_plain = None
            if field_name is None:
                previous_plain = (value, m)
                plain.append(previous_plain)
                continue
            _set_pain(out, field_name, value, seg, text, sent, m)
        for value, m in plain:
            _set_pain(out, "current", value, seg, text, sent, m)


def _set_pain(out: dict, name: str, value: float, seg: _Seg, text: str, sent: _Sentence, m) -> None:
    if name == "current" and "current" in out:
        return
    if name != "current" and name in out and out[name].get("_locked"):
        return
    number = int(value) if value == int(value) else value
    ev = _span_evidence(seg, text, sent.start + m.start(), sent.start + m.end())
    out[name] = {"value": number, "evidence": ev, "_locked": True}


# ================================================================== medications

_DURATION_RE = Gated(re.compile(
    r"\bfor\s+(?:(?:over|more\s+than|at\s+least|approximately|about|nearly|almost|greater\s+than|roughly|"
    r"the\s+past|the\s+last|past|last|a\s+total\s+of|>)\s+)*"
    r"(?P<n>\d+(?:\.\d+)?|" + "|".join(w for w in _NUMBER_WORDS if w not in ("several", "a few")) + r")"
    r"(?:\s*(?:-|to)\s*(?P<n2>\d+))?\s*(?P<unit>days?|weeks?|months?|years?)\b"
    r"|\bsince\s+(?:at\s+least\s+|about\s+|approximately\s+)?(?P<since>[a-z0-9/,\- ]{4,20})"))


def _medications(seg: _Seg, text: str, vocab: Vocabulary, rationale: bool, ref_date,
                 out: list[dict], index_by_key: dict[str, int]) -> None:
    lexicon = _lexicon()
    if lexicon is None:
        return
    mentions = lexicon.find(seg.raw)
    if not mentions:
        return
    by_sentence: dict[int, list] = {}
    for mention in mentions:
        by_sentence.setdefault(_sentence_at(seg, mention.start), []).append(mention)
    for index, group in by_sentence.items():
        if _kind(seg, index, vocab) != "patient":
            continue
        sent = seg.sentences[index]
        clean = _clean(sent, vocab)
        statuses = [(m.start(), m.lastgroup) for m in vocab.med_status.finditer(clean, words=_words(sent))]
        durations = _durations(clean, vocab, ref_date)
        local = [(mn.start - sent.start, mn.end - sent.start, mn) for mn in group]
        attached = _attach_durations(local, durations)
        for (lo, hi, mention), duration in zip(local, attached):
            if lo < 0 or hi > len(clean) or not clean[lo:hi].strip():
                continue
            negation, _ = _negation(sent, lo, hi, vocab)
            if negation is not None:
                continue
            status = _nearest_status(statuses, lo)
            if status == "skip":
                continue
            if rationale and status not in ("current", "past") and duration is None:
                continue
            drug = mention.drug
            med: dict = {"name": mention.matched}
            if drug.generic:
                med["generic"] = drug.generic
            if drug.drug_class:
                med["drug_class"] = drug.drug_class
            if status in ("current", "past"):
                med["status"] = status
            ev = _evidence(seg, sent, text, lo, hi)
            if duration is not None:
                weeks, since, d_lo, d_hi = duration
                d_ev = _span_evidence(seg, text, sent.start + d_lo, sent.start + d_hi)
                if weeks is not None:
                    med["duration_weeks"] = {"value": weeks, "evidence": d_ev}
                if since is not None:
                    med["since"] = {"value": since, "evidence": d_ev}
            med["evidence"] = ev
            _merge_medication(out, index_by_key, med)


def _durations(clean: str, vocab: Vocabulary, ref_date) -> list[tuple[int, int, float | None, str | None]]:
    """Durations in a sentence: (start, end, weeks or None, since-date or None). `ref_date` is
    a callable giving the date "since" counts to (computed only when needed)."""
    found = []
    if "for" not in clean and "since" not in clean:
        return found
    for m in _DURATION_RE.finditer(clean):
        if m.group("unit"):
            n = _number(m.group("n"))
            if n is None:
                continue
            unit = vocab.units.get(m.group("unit").lower())
            if unit is None:
                continue
            found.append((m.start(), m.end(), round(n * unit, 1), None))
            continue
        tail = m.group("since")
        date_m = _DATE_RE.search(tail)
        if date_m and date_m.start() == 0:
            since = _date_from(date_m)
            if since is None:
                continue
            weeks = _weeks_between(since, ref_date())
            found.append((m.start(), m.start("since") + date_m.end(), weeks, since))
            continue
        month_m = _MONTH_YEAR_RE.match(tail)
        if month_m and ref_date():
            # "since at least October 2016": at least from the last day of that month (a lower bound)
            month, year = _MONTHS[month_m.group(1)[:3]], int(month_m.group(2))
            last = (_dt.date(year + (month == 12), month % 12 + 1, 1) - _dt.timedelta(days=1)).isoformat()
            weeks = _weeks_between(last, ref_date())
            if weeks is not None:
                found.append((m.start(), m.start("since") + month_m.end(), weeks, None))
            continue
        year_m = _YEAR_RE.match(tail)
        if year_m and ref_date():
            # "since 2013": at least from the last day of that year (a lower bound)
            weeks = _weeks_between(f"{year_m.group(1)}-12-31", ref_date())
            if weeks is not None:
                found.append((m.start(), m.start("since") + year_m.end(), weeks, None))
    return found


def _weeks_between(since: str, ref_date: str | None) -> float | None:
    if not ref_date:
        return None
    days = (_dt.date.fromisoformat(ref_date) - _dt.date.fromisoformat(since)).days
    if days < 0:
        return None
    return round(days / 7, 1)


def _attach_durations(local, durations):
    """Each duration goes to the nearest drug mention before it in the sentence ("on Norco for
    over 6 months"), or, with none before, to the first one after it."""
    attached = [None] * len(local)
    for d_lo, d_hi, weeks, since in durations:
        before = [i for i, (lo, hi, _) in enumerate(local) if hi <= d_lo]
        after = [i for i, (lo, hi, _) in enumerate(local) if lo >= d_hi]
        target = before[-1] if before else (after[0] if after else None)
        if target is not None and attached[target] is None:
            attached[target] = (weeks, since, d_lo, d_hi)
    return attached


def _nearest_status(statuses: list[tuple[int, str]], at: int) -> str | None:
    before = [label for pos, label in statuses if pos < at]
    if before:
        return before[-1]
    after = [label for pos, label in statuses if pos >= at]
    return after[0] if after else None


def _weeks_of(med: dict) -> float:
    value = med.get("duration_weeks")
    if isinstance(value, dict):
        return value.get("value") or 0
    return value or 0


def _merge_medication(out: list[dict], index_by_key: dict[str, int], med: dict) -> None:
    key = med.get("generic") or med["name"].lower()
    if key not in index_by_key:
        index_by_key[key] = len(out)
        out.append(med)
        return
    old = out[index_by_key[key]]
    if med.get("status") == "current" or (med.get("status") and not old.get("status")):
        old["status"] = med["status"]
    if _weeks_of(med) > _weeks_of(old):
        old["duration_weeks"] = med["duration_weeks"]
    if "since" in med and "since" not in old:
        old["since"] = med["since"]


# ================================================================== treatments

_COUNT_BEFORE = re.compile(r"(?<![\w\-/.])(" + NUM_RE + r")(?![\w\-/.])")
_COUNT_SESSIONS = Gated(re.compile(r"(?<![\w\-/.])(" + NUM_RE + r")\s+(?:sessions?|visits?|treatments?|times)\b"))


_YEAR_AFTER_COMMA = re.compile(r",\s*(?:19|20)\d\d(?!\d)")
_JOINT = re.compile(r"\s*(?:(?:and|or)\s+)?")        # ", and " after a list comma
_LIST_TOKEN = re.compile(r"[()\[\],;]|\s+and\s+")   # what `_split_items` acts on


def _split_items(text: str) -> list[tuple[int, int]]:
    """Comma, semicolon and 'and' separated items of a list, outside brackets."""
    items = []
    depth = 0
    cursor = 0
    i = 0
    # only brackets, list commas and " and " do anything: jump from one to the next
    m = _LIST_TOKEN.search(text)
    while m is not None:
        i = m.start()
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",;":
            if not _YEAR_AFTER_COMMA.match(text, i):
                items.append((cursor, i))
                cursor = _JOINT.match(text, i + 1).end()
                m = _LIST_TOKEN.search(text, cursor)
                continue
        elif depth == 0:                     # " and "
            items.append((cursor, i))
            cursor = m.end()
            m = _LIST_TOKEN.search(text, cursor)
            continue
        m = _LIST_TOKEN.search(text, i + 1)
    items.append((cursor, len(text)))
    return [(s, e) for s, e in items if text[s:e].strip()]


_STUDY_KINDS = ("imaging", "electrodiagnostic")
_MODALITY_KINDS = ("imaging", "electrodiagnostic", "injection", "equipment", "surgery")
_STUDY_TAIL = re.compile(r"(?:[\s,;:(]|\b(?:was|were|is|are|which|that|and)\b)*$")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# a list item that only adds sessions to the course before it: "#7 August", "September #3"
_MORE_SESSIONS = re.compile(r"^\s*(?:" + _MONTH + r"\s+)?#\s*(\d{1,2})(?:\s+" + _MONTH + r")?(?:\s+(?:19|20)\d\d)?\s*$")
# a list item that only names another body part of the study before it: "right elbow"
_ONLY_PART = re.compile(r"^\s*(?:the\s+)?(?:(?:left|right|bilateral)\s+)?[a-z\-]+(?:\s+[a-z\-]+){0,2}\s*$")


@lru_cache(maxsize=1)
def _service_index():
    """The request parser's phrase index of kinds and modalities (rules/vocab/modalities.yaml),
    read once, or None when it cannot be loaded."""
    try:
        from .requests import _default_vocabulary
        vocab = _default_vocabulary()
    except Exception:  # pragma: no cover - the vocabularies ship with the package
        return None
    return vocab


def _modality(item: str, kind: str) -> str | None:
    """The modality (modalities.yaml id) of a treatment item of `kind`: the first modality phrase
    of that kind in the item, or the combined one when both of its parts are named (EMG and NCV)."""
    vocab = _service_index()
    if vocab is None:
        return None
    found: list[str] = []
    for _hit, meanings in vocab.service.finditer(item):
        for meaning in meanings:
            if meaning.modality and meaning.kind == kind and not meaning.needs_visits and meaning.modality not in found:
                found.append(meaning.modality)
    if not found:
        return None
    names = set(found)
    for combined, parts in vocab.combines:
        if parts <= names:
            return combined
    return found[0]


def _entry(seg: _Seg, text: str, vocab: Vocabulary, words: set[str], item: str, kind: str, kind_m,
           a: int, b: int) -> dict:
    """A treatment entry for `item` (its words are `words`), at segment offsets [a, b)."""
    entry: dict = {"kind": kind, "text": seg.raw[a:b]}
    count = _treatment_count(item, kind_m)
    if count is not None:
        entry["count"] = {"value": count, "evidence": _span_evidence(seg, text, a, b)}
    dates = [d for d in (_date_from(dm) for dm in _DATE_RE.finditer(seg.raw[a:b])) if d]
    if dates:
        entry["dates"] = sorted(set(dates))
    if kind in _MODALITY_KINDS:
        modality = _modality(item, kind)
        if modality:
            entry["modality"] = modality
    part = vocab.body_parts.search(item, words=words)
    if part:
        entry["body_part"] = vocab.body_names[part.lastgroup]
    entry["evidence"] = _span_evidence(seg, text, a, b)
    return entry


def _treatments(seg: _Seg, text: str, vocab: Vocabulary, out: list[dict]) -> None:
    for index, sent in enumerate(seg.sentences):
        words = _words(sent)
        has_history = vocab.history.could(words, sent.text)
        has_study = vocab.study_result.could(words, sent.text) and vocab.study_kinds.could(words, sent.text)
        if not (has_history or has_study) or not vocab.kinds.search(sent.text, words=words):
            continue
        if _kind(seg, index, vocab) != "patient":
            continue
        clean = _clean(sent, vocab)
        cue = vocab.history.search(clean, words=words) if has_history else None
        request = vocab.not_history.search(clean, words=words)
        if cue is None:
            if request is None and has_study:
                _studies(seg, sent, text, vocab, words, clean, out)
            continue
        if request is not None and request.start() < cue.start():
            continue                  # "The request for authorization (received on ...) shows ..."
        status_post = cue.group(0).startswith(("status post", "s/p"))
        if _negation(sent, cue.start(), cue.end(), vocab)[0] is not None:
            continue
        body_start = cue.start() if status_post else cue.end()
        while body_start < len(clean) and clean[body_start] in " :\n":
            body_start += 1
        stop = vocab.not_history.search(clean, cue.end(), words=words)
        body_end = stop.start() if stop is not None else len(clean)
        body = clean[body_start:body_end].rstrip(" .\n")
        merged: list[dict] = []
        for lo, hi in _split_items(body):
            item = body[lo:hi]
            item_words = tokens(item)   # the item's own words gate its lookups
            kind_m = vocab.kinds.search(item, words=item_words)
            kind = vocab.kind_names[kind_m.lastgroup] if kind_m else ("surgery" if status_post else None)
            stripped_lo = lo + (len(item) - len(item.lstrip()))
            stripped_hi = hi - (len(item) - len(item.rstrip()))
            a, b = sent.start + body_start + stripped_lo, sent.start + body_start + stripped_hi
            if kind is None and merged:
                prev = merged[-1]
                more = _MORE_SESSIONS.match(item)
                if more and "count" in prev:
                    # "physical therapy #4 July, #7 August, and September #3": one course, counted in parts
                    prev["count"]["value"] += int(more.group(1))
                    _extend(prev, seg, text, b)
                    continue
                part = vocab.body_parts.search(item, words=item_words) if _ONLY_PART.match(item) else None
                if part and prev.get("modality") and prev["kind"] in _STUDY_KINDS:
                    # "an x-ray of the left ankle, right elbow, ...": the same study of another part
                    twin = {k: v for k, v in prev.items() if k not in ("text", "evidence", "body_part")}
                    twin["text"] = seg.raw[a:b]
                    twin["body_part"] = vocab.body_names[part.lastgroup]
                    twin["evidence"] = _span_evidence(seg, text, a, b)
                    merged.append(twin)
                    continue
            if kind is None or kind == "drug":
                continue
            entry = _entry(seg, text, vocab, item_words, item, kind, kind_m, a, b)
            if merged and merged[-1]["kind"] == kind and "count" not in entry and "count" not in merged[-1]:
                prev = merged[-1]
                if "body_part" in entry and "body_part" in prev and entry["body_part"] != prev["body_part"]:
                    merged.append(entry)      # "radiographs to the right knee, ... radiographs of the cervical spine"
                    continue
                if entry.get("modality") and prev.get("modality") and entry["modality"] != prev["modality"]:
                    # "x-rays and CT scan of the cervical spine": two studies of the same part
                    if "body_part" not in prev and "body_part" in entry:
                        prev["body_part"] = entry["body_part"]
                    merged.append(entry)
                    continue
                _extend(prev, seg, text, b)
                if entry.get("dates"):
                    prev["dates"] = sorted(set(prev.get("dates", []) + entry["dates"]))
                if "body_part" not in prev and "body_part" in entry:
                    prev["body_part"] = entry["body_part"]
                if "modality" not in prev and "modality" in entry:
                    prev["modality"] = entry["modality"]
                continue
            merged.append(entry)
        out.extend(merged)


def _extend(prev: dict, seg: _Seg, text: str, b: int) -> None:
    """Make a treatment entry's text and evidence reach segment offset `b`."""
    ev = prev["evidence"]
    end = b + seg.start
    prev["text"] = text[ev["start"]:end]
    prev["evidence"] = {"section": seg.name, "start": ev["start"], "end": end, "quote": text[ev["start"]:end]}


def _studies(seg: _Seg, sent: _Sentence, text: str, vocab: Vocabulary, words: set[str], clean: str,
             out: list[dict]) -> None:
    """Imaging and electrodiagnostic studies named with their result or date outside a history
    list ("A right shoulder MRI performed on 12/08/2016 documented ..."): they were done."""
    for kind_m in vocab.kinds.finditer(clean, words=words):
        kind = vocab.kind_names[kind_m.lastgroup]
        if kind not in _STUDY_KINDS:
            continue
        result = vocab.study_result.search(clean, kind_m.end(), words=words)
        if result is None or _word_count(clean[kind_m.end():result.start()]) > 10:
            continue
        if _negation(sent, kind_m.start(), kind_m.end(), vocab)[0] is not None:
            continue
        # the study's own words: from the start of its clause (a body part may come first,
        # "A right shoulder MRI") to the result cue
        lo = max(clean.rfind(",", 0, kind_m.start()), clean.rfind(";", 0, kind_m.start()), -1) + 1
        if _word_count(clean[lo:kind_m.start()]) > 4:
            lo = kind_m.start()
        item = _STUDY_TAIL.sub("", clean[lo:result.start()])
        a = sent.start + lo + (len(item) - len(item.lstrip()))
        b = sent.start + lo + len(item.rstrip())
        if b <= a:
            continue
        start = seg.start + a
        if any(t.get("evidence", {}).get("start", -1) <= start < t.get("evidence", {}).get("end", -1) for t in out):
            continue
        entry = _entry(seg, text, vocab, tokens(item), item, kind, None, a, b)
        if any(t["kind"] == kind and t.get("modality") == entry.get("modality")
               and entry.get("body_part") in (None, t.get("body_part")) for t in out):
            continue                  # the same study again ("The CT report showed ...")
        dates = [d for d in (_date_from(dm) for dm in _DATE_RE.finditer(seg.raw[sent.start + result.start():
                                                                              sent.start + result.end() + 14])) if d]
        if dates and "dates" not in entry:
            entry["dates"] = dates[:1]
        out.append(entry)


_COUNT_HASH = Gated(re.compile(r"(?<![\w/])#\s*(\d{1,2})(?![\d/])"))


def _treatment_count(item: str, kind_m) -> int | None:
    m = _COUNT_SESSIONS.search(item)
    if m:
        value = _number(m.group(1))
        return int(value) if value else None
    if kind_m is None:
        return None
    m = _COUNT_HASH.search(item, kind_m.end())
    if m:                                   # "rehabilitation physical therapy #4 July"
        return int(m.group(1)) or None
    head = item[:kind_m.start()]
    for m in _COUNT_BEFORE.finditer(head):
        if _word_count(head[m.end():]) <= 3:
            value = _number(m.group(1))
            if value and value == int(value) and value < 100:
                return int(value)
    return None


# ================================================================== diagnoses

def _diagnoses(seg: _Seg, text: str, vocab: Vocabulary, out: list[dict]) -> None:
    for index, sent in enumerate(seg.sentences):
        clean = sent.text
        words = _words(sent)
        list_m = vocab.dx_list.search(clean, words=words)
        single_m = None if list_m else vocab.dx_single.search(clean, words=words)
        post_m = vocab.dx_status_post.search(clean, words=words)
        if not (list_m or single_m or post_m) or _kind(seg, index, vocab) != "patient":
            continue
        clean = _clean(sent, vocab)
        covered: list[tuple[int, int]] = []
        cue = list_m or single_m
        if cue:
            body_start = cue.end()
            while body_start < len(clean) and clean[body_start] in " :\n":
                body_start += 1
            body = clean[body_start:].rstrip(" .\n")
            if body:
                if list_m:
                    if ";" in body:
                        parts = []
                        cursor = 0
                        for piece in body.split(";"):
                            parts.append((cursor, cursor + len(piece)))
                            cursor += len(piece) + 1
                    else:
                        parts = _split_commas(body)
                else:
                    parts = [(0, len(body))]
                for lo, hi in parts:
                    _add_diagnosis(seg, text, sent, vocab, body_start + lo, body_start + hi, out)
                covered.append((body_start, body_start + len(body)))
        if post_m and not any(a <= post_m.start() < b for a, b in covered):
            end = len(clean)
            stop = re.search(r"[;.]\s", clean[post_m.end():])
            if stop:
                end = post_m.end() + stop.start()
            _add_diagnosis(seg, text, sent, vocab, post_m.start(), end, out)


def _split_commas(body: str) -> list[tuple[int, int]]:
    parts = []
    depth = 0
    cursor = 0
    for i, ch in enumerate(body):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append((cursor, i))
            cursor = i + 1
    parts.append((cursor, len(body)))
    out = []
    for lo, hi in parts:
        piece = body[lo:hi]
        lo = _JOINT.match(body, lo).end()
        out.append((lo, hi))
    return out


def _add_diagnosis(seg: _Seg, text: str, sent: _Sentence, vocab: Vocabulary, lo: int, hi: int,
                   out: list[dict]) -> None:
    ev = _span_evidence(seg, text, sent.start + lo, sent.start + hi)
    if len(ev["quote"]) < 3:
        return
    label = " ".join(ev["quote"].split()).rstrip(" .,;")
    tags = []
    label_low = label.lower()
    label_words = tokens(label_low)
    for i in vocab.dx_tag_index.candidates(label_words, label_low):
        tag, gate = vocab.dx_tags[i]
        if gate.search(label_low, words=label_words) is not None:
            tags.append(tag)
    # always a list, empty when no tag applies: a diagnosis without `tags` would make every tag
    # test unknown instead of false
    entry = {"text": label, "tags": tags, "evidence": ev}
    if not any(d["text"].lower() == label.lower() for d in out):
        out.append(entry)


# ================================================================== patient and injury

_AGE_OLD = re.compile(r"(?<![\w.])(\d{1,3})\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b|(?<![\w.])(\d{1,3})\s*(?:y/o|yo)\b|\baged\s+(\d{1,3})\b")
_SLASHED = re.compile(r"\b(?:he|she|his|her|him|s)\s*/\s*(?:he|she|his|her|him)\b")


def _patient(segs: list[_Seg], text: str, vocab: Vocabulary) -> dict:
    patient: dict = {}
    for seg in segs:
        if "age" in patient:
            break
        for m in _AGE_OLD.finditer(seg.low):
            index = _sentence_at(seg, m.start())
            if _kind(seg, index, vocab) != "patient":
                continue
            value = int(next(g for g in m.groups() if g))
            if 10 <= value <= 110:
                patient["age"] = {"value": value,
                                  "evidence": _span_evidence(seg, text, m.start(), m.end())}
                break
    # sex: an explicit word ("a 48 year old male") wins; then unambiguous pronouns
    words: dict[str, list] = {"male": [], "female": []}
    pronouns: dict[str, list] = {"male": [], "female": []}
    for seg in segs:
        for index, sent in enumerate(seg.sentences):
            sent_words = _words(sent)
            if vocab.sex_words.could(sent_words, sent.text) and _kind(seg, index, vocab) == "patient":
                for m in vocab.sex_words.finditer(sent.text, words=sent_words):
                    words[m.lastgroup].append((seg, sent.start, m))
        if words["male"] or words["female"]:
            break
    if not (words["male"] or words["female"]):
        # pronouns, from the sentences' word sets; "he/she", "his/her" are the letter's frame
        for seg in segs:
            for index, sent in enumerate(seg.sentences):
                sent_words = _words(sent)
                if not vocab.sex_pronouns.could(sent_words, sent.text):
                    continue
                if "/" in sent.text:
                    sent_words = tokens(_SLASHED.sub(" ", sent.text))
                for sex in ("male", "female"):
                    if not vocab.pronoun_words[sex].isdisjoint(sent_words):
                        m = vocab.sex_pronouns.search(sent.text, words=sent_words)
                        if m is not None and m.lastgroup == sex:
                            pronouns[sex].append((seg, sent.start, m))
                        else:
                            pronouns[sex].append((seg, sent.start, None))
            if pronouns["male"] or pronouns["female"]:
                break
    choice = None
    for source in (words, pronouns):
        if source["male"] and not source["female"]:
            choice = ("male", source["male"][0])
        elif source["female"] and not source["male"]:
            choice = ("female", source["female"][0])
        if choice:
            break
    if choice is None and words["male"] and words["female"] and "age" in patient:
        # both words occur: take the one right after the age ("a 48 year old male")
        age_end = patient["age"]["evidence"]["end"]
        for sex in ("male", "female"):
            for seg, offset, m in words[sex]:
                if 0 <= seg.start + offset + m.start() - age_end <= 3:
                    choice = (sex, (seg, offset, m))
    if choice:
        sex, (seg, offset, m) = choice
        sent = seg.sentences[_sentence_at(seg, offset)]
        lo, hi = (m.start(), m.end()) if m is not None else (0, 0)
        patient["sex"] = {"value": sex, "evidence": _evidence(seg, sent, text, lo, hi)}
    return patient


def _injury(segs: list[_Seg], text: str, vocab: Vocabulary) -> dict:
    injury: dict = {}
    parts: list[str] = []
    for seg in segs:
        for index, sent in enumerate(seg.sentences):
            low = sent.text
            words = _words(sent)
            date_cue = vocab.injury_date.search(low, words=words) if "date" not in injury else None
            mech_intro = vocab.mechanism_intro.search(low, words=words) if "mechanism" not in injury else None
            context = seg.name == "summary" and vocab.injury_context.search(low, words=words)
            if not (date_cue or mech_intro or context):
                continue
            if _kind(seg, index, vocab) != "patient":
                continue
            clean = _clean(sent, vocab)
            if date_cue:
                for cue in vocab.injury_date.finditer(clean, words=words):
                    if "date" in injury:
                        break
                    for dm in _DATE_RE.finditer(clean, cue.end()):
                        if dm.start() - cue.end() > 60:
                            break
                        value = _date_from(dm)
                        if value:
                            date_cue = cue
                            injury["date"] = {"value": value, "evidence": _span_evidence(
                                seg, text, sent.start + cue.start(), sent.start + dm.end())}
                            break
            if "mechanism" not in injury:
                start = None
                if mech_intro:
                    start = mech_intro.end()
                elif date_cue:
                    after = vocab.mechanism_after.search(clean, date_cue.end(), words=words)
                    if after:
                        start = after.end()
                if start is not None:
                    end = len(clean.rstrip(" .\n"))
                    while start < end and clean[start] in " ,:":
                        start += 1
                    if end - start >= 3:
                        end = min(end, start + 160)
                        ev = _span_evidence(seg, text, sent.start + start, sent.start + end)
                        injury["mechanism"] = {"value": ev["quote"], "evidence": ev}
            if context or date_cue:
                for bm in vocab.body_parts.finditer(clean, words=words):
                    part = vocab.body_names[bm.lastgroup]
                    if part not in parts:
                        parts.append(part)
    if parts:
        injury["body_parts"] = parts
    return injury


# ================================================================== entry points

def _segments(text: str, segments: list[Segment], vocab: Vocabulary) -> list[_Seg]:
    out = []
    for name, start, end in segments:
        start = max(0, int(start))
        end = min(len(text), int(end))
        if end > start:
            out.append(_prepare(text, name, start, end, vocab))
    return out


def _reference_date(segs: list[_Seg]) -> str | None:
    """The latest full date in the text read: the 'now' of "since 2013"."""
    best = None
    for seg in segs:
        if "/" not in seg.raw and "-" not in seg.raw and "," not in seg.raw:
            continue
        for m in _DATE_RE.finditer(seg.raw):
            value = _date_from(m)
            if value and (best is None or value > best):
                best = value
    return best


def _lazy(compute):
    """A callable that computes its value on the first call only."""
    cell: list = []

    def value():
        if not cell:
            cell.append(compute())
        return cell[0]
    return value


def _finish_findings(found: dict[str, tuple[int, dict]]) -> dict:
    return {concept: found[concept][1] for concept in sorted(found)}


def _finish_pain(pain: dict) -> dict:
    return {k: {"value": v["value"], "evidence": v["evidence"]} for k, v in sorted(pain.items())}


def extract_facts(text: str, segments: list[Segment]) -> dict:
    """Case facts from the given segments of a letter (see the module docstring). Item-line
    segments are not read: they are the request, which the request parser owns."""
    _POSITIONS.clear()
    vocab = _vocab()
    segs = _segments(text, [s for s in segments if s[0] != "item"], vocab)
    out: dict = {}
    if not segs:
        return out
    summary = [s for s in segs if s.name == "summary"] or segs
    patient = _patient(summary + [s for s in segs if s not in summary], text, vocab)
    if patient:
        out["patient"] = patient
    injury = _injury(summary + [s for s in segs if s not in summary], text, vocab)
    diagnoses: list[dict] = []
    medications: list[dict] = []
    med_index: dict[str, int] = {}
    treatments: list[dict] = []
    pain: dict = {}
    found: dict[str, tuple[int, dict]] = {}
    ref_date = _lazy(lambda: _reference_date(segs))
    for seg in segs:
        if seg.name == "summary":
            _diagnoses(seg, text, vocab, diagnoses)
        _medications(seg, text, vocab, seg.name == "rationale", ref_date, medications, med_index)
        _treatments(seg, text, vocab, treatments)
        _pain(seg, text, vocab, pain)
        _findings(seg, text, vocab, found)
    for diagnosis in diagnoses:
        label_low = diagnosis["text"].lower()
        for bm in vocab.body_parts.finditer(label_low, words=tokens(label_low)):
            part = vocab.body_names[bm.lastgroup]
            injury.setdefault("body_parts", [])
            if part not in injury["body_parts"]:
                injury["body_parts"].append(part)
    if injury:
        out["injury"] = injury
    if diagnoses:
        out["diagnoses"] = diagnoses
    if medications:
        out["medications"] = medications
    if treatments:
        out["treatments"] = treatments
    if pain:
        out["pain"] = _finish_pain(pain)
    if found:
        out["findings"] = _finish_findings(found)
    return out


_REQUESTED_DRUG = Gated(re.compile(r"\b(?:the|this|these|said)\s+(?:requested\s+|prescribed\s+|current\s+)?(?:medications?|drugs?)\b"))


def _requested_drug_use(seg: _Seg, text: str, vocab: Vocabulary, ref_date) -> dict | None:
    """How long the patient has taken the drug under review, when the rationale names it only as
    "the requested medication" ("has been using the requested medication since at least
    11/07/2016"): {value (weeks), evidence} or None."""
    for index, sent in enumerate(seg.sentences):
        if "since" not in sent.text and "for" not in sent.text:
            continue
        if not _REQUESTED_DRUG.search(sent.text) or _kind(seg, index, vocab) != "patient":
            continue
        clean = _clean(sent, vocab)
        m = _REQUESTED_DRUG.search(clean)
        if m is None or _negation(sent, m.start(), m.end(), vocab)[0] is not None:
            continue
        for d_lo, d_hi, weeks, _since in _durations(clean, vocab, ref_date):
            if weeks is not None and d_lo >= m.end():
                return {"value": weeks, "evidence": _span_evidence(seg, text, sent.start + d_lo, sent.start + d_hi)}
    return None


def extract_item_facts(text: str, segments: list[Segment], reference_date: str | None = None) -> dict:
    """Findings and medication mentions (with durations) from one item's decision rationale, and
    `requested_drug_weeks` when the rationale gives how long "the requested medication" has been
    taken without naming it. `reference_date` (ISO) is the "now" a "since DATE" counts to (the
    pipeline gives the UR denial date); without it, the latest date in the rationale."""
    _POSITIONS.clear()
    vocab = _vocab()
    segs = _segments(text, [s for s in segments if s[0] != "item"], vocab)
    found: dict[str, tuple[int, dict]] = {}
    medications: list[dict] = []
    med_index: dict[str, int] = {}
    ref_date = (lambda: reference_date) if reference_date else _lazy(lambda: _reference_date(segs))
    requested_use = None
    for seg in segs:
        _findings(seg, text, vocab, found)
        _medications(seg, text, vocab, True, ref_date, medications, med_index)
        if requested_use is None:
            requested_use = _requested_drug_use(seg, text, vocab, ref_date)
    out: dict = {}
    if found:
        out["findings"] = _finish_findings(found)
    if medications:
        out["medications"] = medications
    if requested_use is not None:
        out["requested_drug_weeks"] = requested_use
    return out
