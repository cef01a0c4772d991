"""Pain scores (0-10) and their qualifiers: current, with and without medications, least, average."""
from __future__ import annotations

import re

from .literal_gate import Gated
from .sentences import Seg, Sentence, clean_text, sentence_kind, sentence_words, span_evidence, word_count
from .vocabulary import Vocabulary


_SCORE_RE = Gated(re.compile(
    r"(?<![\w/.])(?P<a>10|\d(?:\.\d)?)(?:\s*(?:-|to|\u2013)\s*(?P<b>10|\d(?:\.\d)?))?\s*"
    r"(?:/\s*10(?![\d/])|out\s+of\s+(?:10|ten)\b)"))


def read_pain(seg: Seg, text: str, vocab: Vocabulary, out: dict) -> None:
    if "10" not in seg.low and "ten" not in seg.low:
        return
    for index, sent in enumerate(seg.sentences):
        clean_src = sent.text
        if "10" not in clean_src and "ten" not in clean_src:
            continue
        scores = list(_SCORE_RE.finditer(clean_src))
        if not scores or sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        previous_plain = None
        plain: list = []
        for m in scores:
            # the upper value of a range: the patient reports pain "4-5", at least 4 and up to 5
            value = max(float(m.group("a")), float(m.group("b") or 0))
            if value > 10:
                continue
            field_name = None
            after = clean[m.end():m.end() + 60]
            q = vocab.pain_qualifier.search(after, words=sentence_words(sent))
            if q and word_count(after[:q.start()]) <= 5 and q.lastgroup in ("with_meds", "without_meds"):
                field_name = q.lastgroup
            if field_name is None:
                before = clean[max(0, m.start() - 80):m.start()]
                last = None
                for q in vocab.pain_qualifier.finditer(before, words=sentence_words(sent)):
                    last = q
                if last is not None and word_count(before[last.end():]) <= 8:
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


def _set_pain(out: dict, name: str, value: float, seg: Seg, text: str, sent: Sentence, m) -> None:
    if name == "current" and "current" in out:
        return
    if name != "current" and name in out and out[name].get("_locked"):
        return
    number = int(value) if value == int(value) else value
    ev = span_evidence(seg, text, sent.start + m.start(), sent.start + m.end())
    out[name] = {"value": number, "evidence": ev, "_locked": True}


def finish_pain(pain: dict) -> dict:
    return {k: {"value": v["value"], "evidence": v["evidence"]} for k, v in sorted(pain.items())}
