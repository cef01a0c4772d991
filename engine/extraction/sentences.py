"""Segments and sentences: how a span of letter text is cut and classified before reading.

A segment (`Seg`) is a span of the letter read as one section (summary, rationale); it is
lower-cased, guideline quotations are blanked (keeping sentence ends), and it is split into
`Sentence`s. A sentence is `boilerplate` (the letter's frame), `guideline` (a criterion or
recital, not a fact about the patient) or `patient`; the reviewer's conclusions are blanked from
it before anything is read (`clean_text`). Evidence is {section, start, end, quote} with
quote == text[start:end].
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .phrases import WORD_RE, tokens
from .gates import Positions
from .vocabulary import Vocabulary, drug_lexicon


Segment = tuple[str, int, int]


EVIDENCE_MAX = 400


_QUOTE_MAX = 4000


_LONG_QUOTE = 150          # a quotation this long in a rationale is a guideline excerpt


# A sentence ends at . ! ? (and any closing quote or bracket) followed by white space and a
# capital, digit, bracket or quote; or at a blank line. Abbreviations that end in a period
# before a capital ("Dr. Smith", "e.g. NSAIDs") are kept inside the sentence. (The pattern
# opens with the class of its first characters, so that the regex engine skips to them.)
_SENT_END = re.compile(r"[.!?\n](?:(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c(\[]?[A-Z0-9#])|(?<=\n)\s*\n)")


_ABBREV = re.compile(r"(?:\b(?:dr|mr|mrs|ms|vs|e\.g|i\.e|etc|no|st|approx|pg|pp|fig|jr|sr|u\.s|inc|ltd|co|mg|ml|al)\.|"
                     r"\b(?:[a-z]\.){2,})$", re.I)


_QUOTE_OPEN = "\"\u201c"


_QUOTE_CLOSE = "\"\u201d"


@dataclass
class Sentence:
    start: int                  # offset into the segment's lower-cased text
    end: int
    text: str                   # lower-cased, quotations of guidelines blanked
    clean: str | None = None    # text with the reviewer's conclusions blanked
    kind: str | None = None     # "boilerplate", "guideline" or "patient"
    words: set[str] | None = None
    index: Positions | None = None   # where words start in `clean`
    cues: object | None = None       # the sentence's context (clauses and triggers), context.py
    places: list | None = None       # body parts named in `clean`, anatomy.py
    drugs: str | None = None         # `clean` with drug names masked, findings.drug_masked
    tests: list | None = None        # spans of the named tests in `clean`, findings._named_tests
    drug_mentions: list | None = None  # the drug names the lexicon finds in `clean`


@dataclass
class Seg:
    name: str
    start: int                  # absolute offset of the segment in the letter text
    raw: str                    # text[start:end]
    low: str                    # lower-cased, same length
    sentences: list[Sentence] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    pain_pairs: list | None = None   # pain with and without a treatment, per sentence (pain.pain_pairs)
    # the date (ISO) of the letter's "now", computed when first asked for (facts._reference_date)
    now: Callable[[], str | None] | None = None

    @property
    def ref_year(self) -> int | None:
        """The year of the letter's "now": a remote past is read against it."""
        now = self.now() if self.now is not None else None
        return int(now[:4]) if now else None


def lower(raw: str) -> str:
    low = raw.lower()
    if len(low) != len(raw):  # a character whose lower case is longer (rare): keep it as is
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in raw)
    return low


def split_sentences(raw: str, low: str | None = None) -> list[tuple[int, int]]:
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


def blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def prepare_segment(text: str, name: str, start: int, end: int, vocab: Vocabulary) -> Seg:
    raw = text[start:end]
    low = lower(raw)
    low = _blank_guideline_quotes(raw, low, name, vocab)
    seg = Seg(name=name, start=start, raw=raw, low=low)
    for s, e in split_sentences(raw, low):
        seg.sentences.append(Sentence(start=s, end=e, text=low[s:e]))
    seg.starts = [s.start for s in seg.sentences]
    return seg


def prepare_segments(text: str, segments: list[Segment], vocab: Vocabulary) -> list[Seg]:
    out = []
    for name, start, end in segments:
        start = max(0, int(start))
        end = min(len(text), int(end))
        if end > start:
            out.append(prepare_segment(text, name, start, end, vocab))
    return out


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
            sentence_spans = split_sentences(raw)
        starts = [s for s, _ in sentence_spans]
        index = max(0, bisect.bisect_right(starts, open_at) - 1)
        prefix = low[sentence_spans[index][0]:open_at] if sentence_spans else low[:open_at]
        prefix_words = tokens(prefix)
        guideline = (bool(vocab.guideline.search(prefix, words=prefix_words))
                     and not nd_before(vocab, prefix, None, prefix_words))
        if not guideline and name == "rationale" and close_at - open_at > _LONG_QUOTE:
            guideline = True
        if guideline:
            inner_end = close_at
            while inner_end > open_at + 1 and low[inner_end - 1] in " \t\n":
                inner_end -= 1
            keep = low[inner_end - 1] in ".!?" if inner_end > open_at + 1 else False
            out = blank(out, open_at + 1, inner_end - 1 if keep else inner_end)
        pos = close_at + 1
    return out


def _find_any(text: str, chars: str, start: int) -> int:
    found = [i for i in (text.find(c, start) for c in chars) if i >= 0]
    return min(found) if found else -1


def nd_before(vocab: Vocabulary, text: str, limit: int | None = None, words: set[str] | None = None) -> bool:
    m = vocab.nd_cue.search(text, words=words)
    return bool(m) and (limit is None or m.start() < limit)


def sentence_kind(seg: Seg, index: int, vocab: Vocabulary) -> str:
    """boilerplate / guideline / patient, for the sentence at `index` (cached)."""
    sent = seg.sentences[index]
    if sent.kind is not None:
        return sent.kind
    text = sent.text
    words = sentence_words(sent)
    kind = "patient"
    if vocab.boilerplate.search(text, words=words):
        kind = "boilerplate"
    else:
        cue = vocab.guideline.search(text, words=words)
        if cue and not nd_before(vocab, text, cue.start(), words):
            kind = "guideline"
        elif (opened := vocab.opener.match(text)) and not vocab.opener_event.match(text, opened.end()):
            kind = "guideline"
        elif index > 0 and sentence_kind(seg, index - 1, vocab) == "guideline" and (
                vocab.enumeration.match(text) or vocab.continuation.match(text)
                or (word_count(text) <= 12 and not vocab.finite_verb.search(text, words=words))):
            kind = "guideline"        # a list item or a short fragment continues the guideline before it
    sent.kind = kind
    return kind


# A quotation mark (not an apostrophe inside a word): read as a space, so that "her hands
# 'falling asleep'" reads as the words it quotes. Offsets are unchanged.
_QUOTE_MARK = re.compile(r"(?<![a-z0-9])['\"]|['\"](?![a-z0-9])")


def clean_text(sent: Sentence, vocab: Vocabulary) -> str:
    """The sentence with the reviewer's conclusions blanked and quotation marks read as spaces
    (cached)."""
    if sent.clean is None:
        text = sent.text
        for m in vocab.conclusion.finditer(text, words=sentence_words(sent)):
            text = blank(text, m.start(), m.end())
        if "'" in text or '"' in text:
            text = _QUOTE_MARK.sub(" ", text)
        sent.clean = text
    return sent.clean


def sentence_drugs(sent: Sentence, vocab: Vocabulary) -> list:
    """The drug names (lexicon `DrugMention`s) in the sentence's clean text (cached)."""
    if sent.drug_mentions is None:
        lexicon = drug_lexicon()
        sent.drug_mentions = lexicon.find(clean_text(sent, vocab)) if lexicon is not None else []
    return sent.drug_mentions


def sentence_words(sent: Sentence) -> set[str]:
    """The words of the sentence (before conclusions are blanked: a superset, for gating)."""
    if sent.words is None:
        sent.words = tokens(sent.text)
    return sent.words


def sentence_index(sent: Sentence, vocab: Vocabulary) -> Positions:
    """Where words of the cleaned sentence start (cached): phrases are tried there only."""
    if sent.index is None:
        sent.index = Positions(clean_text(sent, vocab))
    return sent.index


def word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def sentence_evidence(seg: Seg, sent: Sentence, text: str, lo: int | None = None, hi: int | None = None) -> dict:
    """Evidence for a fact read in `sent`: the sentence, or [lo, hi) when the sentence is long."""
    s, e = sent.start, sent.end
    if lo is not None and e - s > EVIDENCE_MAX:
        s, e = sent.start + lo, sent.start + (hi if hi is not None else lo)
    return span_evidence(seg, text, s, e)


def span_evidence(seg: Seg, text: str, s: int, e: int) -> dict:
    raw = seg.raw
    while s < e and raw[s] in " \t\n\r":
        s += 1
    while e > s and raw[e - 1] in " \t\n\r":
        e -= 1
    start, end = seg.start + s, seg.start + e
    return {"section": seg.name, "start": start, "end": end, "quote": text[start:end]}


def sentence_at(seg: Seg, offset: int) -> int:
    return max(0, bisect.bisect_right(seg.starts, offset) - 1)
