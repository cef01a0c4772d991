"""Treatment history: the courses, studies, injections and equipment the patient has had."""
from __future__ import annotations

import re
from functools import lru_cache

from .literal_gate import Gated
from .phrases import NUM_RE, tokens
from .anatomy import phrase_region
from .context import negation_of
from .dates import DATE_RE, date_from, parse_number
from .sentences import Seg, Sentence, clean_text, sentence_kind, sentence_words, span_evidence, word_count
from .vocabulary import Vocabulary


_COUNT_BEFORE = re.compile(r"(?<![\w\-/.])(" + NUM_RE + r")(?![\w\-/.])")


_COUNT_SESSIONS = Gated(re.compile(r"(?<![\w\-/.])(" + NUM_RE + r")\s+(?:sessions?|visits?|treatments?|times)\b"))


_YEAR_AFTER_COMMA = re.compile(r",\s*(?:19|20)\d\d(?!\d)")


JOINT = re.compile(r"\s*(?:(?:and|or)\s+)?")        # ", and " after a list comma


_LIST_TOKEN = re.compile(r"[()\[\],;]|\s+and\s+")   # what `split_items` acts on


def split_items(text: str) -> list[tuple[int, int]]:
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
                cursor = JOINT.match(text, i + 1).end()
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


def _entry(seg: Seg, text: str, vocab: Vocabulary, words: set[str], item: str, kind: str, kind_m,
           a: int, b: int) -> dict:
    """A treatment entry for `item` (its words are `words`), at segment offsets [a, b)."""
    entry: dict = {"kind": kind, "text": seg.raw[a:b]}
    count = _treatment_count(item, kind_m)
    if count is not None:
        entry["count"] = {"value": count, "evidence": span_evidence(seg, text, a, b)}
    dates = [d for d in (date_from(dm) for dm in DATE_RE.finditer(seg.raw[a:b])) if d]
    if dates:
        entry["dates"] = sorted(set(dates))
    if kind in _MODALITY_KINDS:
        modality = _modality(item, kind)
        if modality:
            entry["modality"] = modality
    part = vocab.body_parts.search(item, words=words)
    if part:
        entry["body_part"] = vocab.body_names[part.lastgroup]
    parts, side = phrase_region(item)
    if parts:
        entry["body_parts"] = parts
        if side:
            entry["side"] = side
    entry["evidence"] = span_evidence(seg, text, a, b)
    return entry


def read_treatments(seg: Seg, text: str, vocab: Vocabulary, out: list[dict]) -> None:
    for index, sent in enumerate(seg.sentences):
        words = sentence_words(sent)
        has_history = vocab.history.could(words, sent.text)
        has_study = vocab.study_result.could(words, sent.text) and vocab.study_kinds.could(words, sent.text)
        if not (has_history or has_study) or not vocab.kinds.search(sent.text, words=words):
            continue
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        cue = vocab.history.search(clean, words=words) if has_history else None
        request = vocab.not_history.search(clean, words=words)
        if cue is None:
            if request is None and has_study:
                _studies(seg, sent, text, vocab, words, clean, out)
            continue
        if request is not None and request.start() < cue.start():
            continue                  # "The request for authorization (received on ...) shows ..."
        status_post = cue.group(0).startswith(("status post", "s/p"))
        if negation_of(sent, cue.start(), cue.end(), vocab)[0] is not None:
            continue
        body_start = cue.start() if status_post else cue.end()
        while body_start < len(clean) and clean[body_start] in " :\n":
            body_start += 1
        stop = vocab.not_history.search(clean, cue.end(), words=words)
        body_end = stop.start() if stop is not None else len(clean)
        body = clean[body_start:body_end].rstrip(" .\n")
        merged: list[dict] = []
        for lo, hi in split_items(body):
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
                    twin["evidence"] = span_evidence(seg, text, a, b)
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


def _extend(prev: dict, seg: Seg, text: str, b: int) -> None:
    """Make a treatment entry's text and evidence reach segment offset `b`."""
    ev = prev["evidence"]
    end = b + seg.start
    prev["text"] = text[ev["start"]:end]
    prev["evidence"] = {"section": seg.name, "start": ev["start"], "end": end, "quote": text[ev["start"]:end]}


def _studies(seg: Seg, sent: Sentence, text: str, vocab: Vocabulary, words: set[str], clean: str,
             out: list[dict]) -> None:
    """Imaging and electrodiagnostic studies named with their result or date outside a history
    list ("A right shoulder MRI performed on 12/08/2016 documented ..."): they were done."""
    for kind_m in vocab.kinds.finditer(clean, words=words):
        kind = vocab.kind_names[kind_m.lastgroup]
        if kind not in _STUDY_KINDS:
            continue
        result = vocab.study_result.search(clean, kind_m.end(), words=words)
        if result is None or word_count(clean[kind_m.end():result.start()]) > 10:
            continue
        if negation_of(sent, kind_m.start(), kind_m.end(), vocab)[0] is not None:
            continue
        # the study's own words: from the start of its clause (a body part may come first,
        # "A right shoulder MRI") to the result cue
        lo = max(clean.rfind(",", 0, kind_m.start()), clean.rfind(";", 0, kind_m.start()), -1) + 1
        if word_count(clean[lo:kind_m.start()]) > 4:
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
        dates = [d for d in (date_from(dm) for dm in DATE_RE.finditer(seg.raw[sent.start + result.start():
                                                                              sent.start + result.end() + 14])) if d]
        if dates and "dates" not in entry:
            entry["dates"] = dates[:1]
        out.append(entry)


_COUNT_HASH = Gated(re.compile(r"(?<![\w/])#\s*(\d{1,2})(?![\d/])"))


_COUNT_NEAR = re.compile(r"(?<![\w\-/.])(" + NUM_RE + r")\s+(?:[a-z\-]+\s+){0,3}?(?:sessions?|visits?|treatments?|manipulations?|adjustments?|injections?)\b")


def treatment_count(text: str, start: int, end: int) -> int | None:
    """The number of sessions stated next to a course named at [start, end) of a lower-cased
    sentence ("eighteen chiropractic visits", "after ten therapy sessions", "12 visits of
    therapy"), or None."""
    window_start = max(0, start - 40)
    for m in _COUNT_NEAR.finditer(text, window_start, min(len(text), end + 40)):
        if m.end() >= start and m.start() <= end + 20:
            value = parse_number(m.group(1))
            if value and value == int(value) and value < 100:
                return int(value)
    return None


def _treatment_count(item: str, kind_m) -> int | None:
    m = _COUNT_SESSIONS.search(item)
    if m:
        value = parse_number(m.group(1))
        return int(value) if value else None
    if kind_m is None:
        return None
    m = _COUNT_HASH.search(item, kind_m.end())
    if m:                                   # "rehabilitation physical therapy #4 July"
        return int(m.group(1)) or None
    head = item[:kind_m.start()]
    for m in _COUNT_BEFORE.finditer(head):
        if word_count(head[m.end():]) <= 3:
            value = parse_number(m.group(1))
            if value and value == int(value) and value < 100:
                return int(value)
    return None
