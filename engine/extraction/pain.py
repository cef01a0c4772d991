"""Pain scores (0-10) and their qualifiers: current, with and without medications, least, average."""
from __future__ import annotations

import re

from .literal_gate import Gated
from .sentences import Seg, Sentence, clean_text, sentence_drugs, sentence_kind, sentence_words, span_evidence, word_count
from .vocabulary import Vocabulary


_NUMBER_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten)"
# A pain score: "8/10", "4-5 out of 10", "eight out of ten", or a rating named as such ("VAS 8",
# "pain level of 6", "rates her pain at 7") when no "/" or unit follows the number.
_SCORE_RE = Gated(re.compile(
    r"(?<![\w/.])(?:(?P<a>10|\d(?:\.\d)?)(?:\s*(?:-|to|\u2013)\s*(?P<b>10|\d(?:\.\d)?))?\s*"
    r"(?:/\s*10(?![\d/])|out\s+of\s+(?:10|ten)\b)"
    r"|(?P<w>" + _NUMBER_WORD + r")(?:\s*(?:-|to)\s*(?P<wb>" + _NUMBER_WORD + r"))?\s+out\s+of\s+(?:10|ten)\b"
    r"|(?:vas|nrs|pain\s+(?:level|score|rating|intensity)|rates?\s+(?:his\s+|her\s+|the\s+)?pain|rated\s+(?:his\s+|her\s+|the\s+)?pain)"
    r"(?:\s+(?:of|at|is|was|as|score\s+of))?\s*[=:]?\s*(?:an?\s+)?(?P<v>10|\d(?:\.\d)?)(?:\s*(?:-|to)\s*(?P<vb>10|\d(?:\.\d)?))?"
    r"(?!\s*(?:/|mg|%|percent|degrees|\.\d|\d|out\s+of))"
    r"(?:\s*(?:/\s*10(?![\d/])|out\s+of\s+(?:10|ten)\b))?)"))
_WORD_VALUE = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}


def score_value(m: re.Match) -> float:
    """The score a `_SCORE_RE` match gives: the upper value of a range (the patient reports pain
    "4-5": at least 4 and up to 5)."""
    if m.group("w"):
        return float(max(_WORD_VALUE[m.group("w")], _WORD_VALUE.get(m.group("wb") or "", 0)))
    if m.group("v"):
        return max(float(m.group("v")), float(m.group("vb") or 0))
    return max(float(m.group("a")), float(m.group("b") or 0))


def _may_hold_score(low: str) -> bool:
    return "10" in low or "ten" in low or "vas" in low or "pain" in low or "nrs" in low


def read_pain(seg: Seg, text: str, vocab: Vocabulary, out: dict) -> None:
    if not _may_hold_score(seg.low):
        return
    for index, sent in enumerate(seg.sentences):
        clean_src = sent.text
        if not _may_hold_score(clean_src):
            continue
        scores = list(_SCORE_RE.finditer(clean_src))
        if not scores or sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        previous_plain = None
        plain: list = []
        for m in scores:
            value = score_value(m)
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


# ------------------------------------------------------------------ pain with and without a treatment

_WORD_SCORES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_PAIR_SCORE = (r"(?:(?P<{n}>10|\d(?:\.\d)?)(?:\s*(?:-|\u2013)\s*(?P<{n}b>10|\d(?:\.\d)?))?\s*(?:/\s*10(?![\d/])|out\s+of\s+(?:10|ten)\b)?"
               r"|(?P<{n}w>zero|one|two|three|four|five|six|seven|eight|nine|ten)\s+out\s+of\s+(?:10|ten)\b)")
# "from 8/10 to 4/10", "from 8 to 4/10", "went from a 7 to a 6 out of 10"
_FROM_TO = re.compile(r"(?<![\w/.])from\s+(?:an?\s+)?" + _PAIR_SCORE.format(n="x") + r"(?:\s+[a-z]+){0,3}?\s+(?:to|down to)\s+(?:an?\s+)?"
                      + _PAIR_SCORE.format(n="y"))
# "9/10 with or without", "8/10 whether or not she takes", "with and without"
_SAME = re.compile(r"(?:with\s+or\s+without|whether\s+or\s+not|with\s+and\s+without|on\s+or\s+off|regardless\s+of|"
                   r"(?:both\s+)?before\s+and\s+after|(?:both\s+)?with\s+and\s+without)")
# "7/10 with MS Contin", "8/10 without it", "9/10 without." : the drug or "it" right after the score
_WITH_DRUG = re.compile(r"\s*(?P<q>with|on|after|without|off|before)\b(?:\s+(?:the|his|her|taking|using))?\s*(?P<rest>[^\s,;.]*)")
_TREATMENT_WORDS = re.compile(r"\b(?:medications?|meds|dose|doses|pills?|tablets?|patch|patches|opioids?|narcotics?|analgesics?|"
                              r"injections?|epidurals?|blocks?|therapy|treatment|acupuncture|chiropractic|tens|h-wave)\b")


def _drug_qualifier(clean: str, at: int) -> str | None:
    """with_meds / without_meds when a drug name, "it" or nothing follows "with"/"without" right
    after a score ("7/10 with MS Contin and 8/10 without it", "9/10 without.")."""
    m = _WITH_DRUG.match(clean, at)
    if m is None:
        return None
    rest = m.group("rest")
    from .vocabulary import drug_lexicon
    lexicon = drug_lexicon()
    named = rest in ("", "it", "them", "meds", "medication", "medications") or bool(
        lexicon and lexicon.find(clean[m.start("rest"):m.start("rest") + 30]))
    if not named:
        return None
    return "without_meds" if m.group("q") in ("without", "off", "before") else "with_meds"


def _pair_value(m: re.Match, name: str) -> float | None:
    if m.group(name + "w"):
        return float(_WORD_SCORES[m.group(name + "w")])
    if m.group(name) is None:
        return None
    return max(float(m.group(name)), float(m.group(name + "b") or 0))


def _names_treatment(sent: Sentence, clean: str, vocab: Vocabulary) -> bool:
    return _TREATMENT_WORDS.search(clean) is not None or bool(sentence_drugs(sent, vocab))


def pain_pairs(seg: Seg, vocab: Vocabulary) -> list[tuple[int, float, float]]:
    """(sentence index, pain without or before a treatment, pain with or after it) for each
    sentence that states both and names the treatment ("9/10 before the medication and 5/10
    after", "from 8/10 to 4/10 with Norco", "8/10 with or without it"). Kept on the segment:
    the responses and the pain response both read them."""
    if seg.pain_pairs is None:
        seg.pain_pairs = _pain_pairs(seg, vocab)
    return seg.pain_pairs


def _pain_pairs(seg: Seg, vocab: Vocabulary) -> list[tuple[int, float, float]]:
    out = []
    for index, sent in enumerate(seg.sentences):
        if not _may_hold_score(sent.text):
            continue
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        if not _names_treatment(sent, clean, vocab):
            continue
        m = _FROM_TO.search(clean)
        if m is not None:
            before, after = _pair_value(m, "x"), _pair_value(m, "y")
            if before is not None and after is not None and before <= 10 and after <= 10 and (
                    "/" in m.group(0) or "out of" in m.group(0)):
                out.append((index, before, after))
                continue
        scores = [(s, score_value(s)) for s in _SCORE_RE.finditer(clean)]
        scores = [(s, v) for s, v in scores if v <= 10]
        if len(scores) == 1 and _SAME.search(clean, scores[0][0].end()):
            out.append((index, scores[0][1], scores[0][1]))
            continue
        if len(scores) != 2:
            continue
        fields = []
        words = sentence_words(sent)
        for s, value in scores:
            field = _drug_qualifier(clean, s.end())
            tail = clean[s.end():s.end() + 60]
            q = vocab.pain_qualifier.search(tail, words=words)
            if field is None and q and word_count(tail[:q.start()]) <= 6 and q.lastgroup in ("with_meds", "without_meds", "before", "after"):
                field = q.lastgroup
            if field is None:
                head = clean[max(0, s.start() - 80):s.start()]
                last = None
                for q in vocab.pain_qualifier.finditer(head, words=words):
                    last = q
                if last is not None and word_count(head[last.end():]) <= 8:
                    field = last.lastgroup
            fields.append(field)
        (s1, v1), (s2, v2) = scores
        off = {"without_meds", "before"}
        on = {"with_meds", "after"}
        if fields[0] in off and (fields[1] in on or fields[1] is None):
            out.append((index, v1, v2))
        elif fields[1] in off and (fields[0] in on or fields[0] is None):
            out.append((index, v2, v1))
        elif fields[0] in on and fields[1] is None and "versus" in clean[s1.end():s2.start()] + clean[s2.end():]:
            out.append((index, v2, v1))
    return out


# the findings `read_pain_response` states
RESPONSE_CONCEPTS = frozenset({"pain_relief", "pain_reduced_30_percent"})


def read_pain_response(seg: Seg, text: str, vocab: Vocabulary, found) -> None:
    """Findings computed from a sentence's pain with and without a treatment: `pain_relief`
    (present when the pain is lower with it, absent when it is not) and `pain_reduced_30_percent`
    (present for a drop of at least 30%, absent for less)."""
    from .findings import RANK
    from .sentences import sentence_evidence
    for index, before, after in pain_pairs(seg, vocab):
        sent = seg.sentences[index]
        evidence = sentence_evidence(seg, sent, text)
        relief = "present" if after < before else "absent"
        found.add("pain_relief", RANK[relief], relief, evidence, [], None)
        if before > 0:
            thirty = "present" if (before - after) / before >= 0.3 - 1e-9 else "absent"
            found.add("pain_reduced_30_percent", RANK[thirty], thirty, evidence, [], None)
