"""The response to earlier treatment: how each course the text names went.

Stage: extraction, after the treatment history (treatments.py) and the findings of the same
segment. A course is a treatment named in a patient sentence: a treatment kind
(negation.yaml `treatment_kinds`), a drug of the lexicon, or a generic course word ("therapy",
"sessions", "conservative care"). Its response comes from the cues of
`treatment_response` in the same sentence, the one in the course's own clause first:

- `improved` ("has helped", "improved with", "responded well"), read in context: negated
  ("did not help") it is `not_improved`; in a hypothetical, a plan or a gap in the record
  ("no documentation of improvement") it says nothing;
- `not_improved` ("unchanged", "no relief", "persisted despite", "still cannot");
- `worse` ("aggravated", "made it worse").

A course negated in its own clause ("has not yet tried any therapy") was not given, and one
with a `not_attended` cue ("was referred but never attended") was not attended.

What it gives:
- findings, stated by the course's response: `conservative_care_failed` (a conservative course
  not improved or worse: present; improved, or never tried: absent), `first_line_failed` and
  `neuropathic_first_line_failed` (a first-line drug that failed), `device_trial_successful`
  and `tens_failed` (a stimulation device), `home_exercise_failed`,
  `injection_sustained_relief` (absent when an injection did not help);
- on the treatment history: `response` (improved / not_improved / worse) and `attended: false`
  on the matching entry, or a new entry for a counted or answered course the history list
  did not hold.

"A course was given" is not "it failed": a course with no response stated gives nothing here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .anatomy import default_anatomy, region
from .context import Assertion, assert_mention, clause_span
from .phrases import WORD_RE
from .findings import RANK, Findings
from .pain import pain_pairs
from .sentences import Seg, Sentence, clean_text, sentence_drugs, sentence_evidence, sentence_index, sentence_kind, \
    sentence_words, span_evidence, word_count
from .dates import NUMBER_WORDS as _WORD_NUMBERS
from .treatments import treatment_count
from .vocabulary import Vocabulary, drug_lexicon

# Treatment kinds that are conservative care; "course" is a generic course word.
_CONSERVATIVE = frozenset({"physical_therapy", "occupational_therapy", "aquatic_therapy", "chiropractic", "acupuncture",
                           "injection", "equipment", "other", "program", "course"})
_CONSERVATIVE_DRUGS = frozenset({"nsaid", "acetaminophen", "muscle_relaxant", "anticonvulsant", "antidepressant",
                                 "topical_analgesic", "corticosteroid"})
_FIRST_LINE = frozenset({"nsaid", "acetaminophen", "antidepressant", "anticonvulsant"})
_NEUROPATHIC_FIRST_LINE = frozenset({"antidepressant", "anticonvulsant"})
_REHABILITATION = frozenset({"physical_therapy", "occupational_therapy", "aquatic_therapy"})
_DEVICES = ("tens", "h wave", "h-wave", "hwave", "interferential", "stimulat", "neuromuscular")
_HOME_EXERCISE = ("home exercise", "home program", "home stretching", "exercise program", "home routine", "hep")
# The findings `read_responses` and `read_injection_relief` state (facts.extract_item_facts skips
# a reader none of whose findings it wants).
CONCEPTS = frozenset({"conservative_care_failed", "home_exercise_failed", "first_line_failed",
                      "neuropathic_first_line_failed", "rehabilitation_ongoing", "device_trial_successful",
                      "tens_failed", "injection_sustained_relief"})
RELIEF_CONCEPTS = frozenset({"neurotomy_sustained_relief", "diagnostic_block_positive", "injection_sustained_relief"})
# "progress notes", "improvement reports": a kind of document, not a response; and "physical
# therapy (progress) notes" are the course's documents, not the course
_DOCUMENT = re.compile(r"\s*(?:notes?|reports?|summar(?:y|ies))\b")
_COURSE_DOCUMENT = re.compile(r"\s*(?:progress\s+|treatment\s+|daily\s+)?(?:notes?|records?|reports?|documentation|"
                              r"summar(?:y|ies)|logs?|flowsheets?)\b")


@dataclass
class _Course:
    start: int
    end: int
    kind: str                 # a treatment kind, "drug" or "course"
    drug_class: str | None = None
    text: str = ""


def _courses(sent: Sentence, clean: str, vocab: Vocabulary) -> list[_Course]:
    words = sentence_words(sent)
    index = sentence_index(sent, vocab)
    found: list[_Course] = []
    for m in vocab.kinds.finditer(clean, words=words, index=index):
        kind = vocab.kind_names[m.lastgroup]
        if kind in ("drug", "surgery", "imaging", "electrodiagnostic", "consultation"):
            continue
        found.append(_Course(m.start(), m.end(), kind, None, clean[m.start():m.end()]))
    for mention in sentence_drugs(sent, vocab):
        found.append(_Course(mention.start, mention.end, "drug", mention.drug.drug_class, clean[mention.start:mention.end]))
    taken = [(c.start, c.end) for c in found]
    for m in vocab.class_words.finditer(clean, words=words, index=index):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            found.append(_Course(m.start(), m.end(), "drug", vocab.class_word_names[m.lastgroup], clean[m.start():m.end()]))
    taken = [(c.start, c.end) for c in found]
    for m in vocab.response["courses"].finditer(clean, words=words, index=index):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            found.append(_Course(m.start(), m.end(), "course", None, clean[m.start():m.end()]))
    found.sort(key=lambda c: c.start)
    return found


def _cues(sent: Sentence, clean: str, vocab: Vocabulary) -> list[tuple[int, int, str]]:
    """The response cues of a sentence, each with its meaning after context."""
    words = sentence_words(sent)
    index = sentence_index(sent, vocab)
    gates = vocab.response
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for name in ("not_improved", "worse"):
        for m in gates[name].finditer(clean, words=words, index=index):
            if _DOCUMENT.match(clean, m.end()):
                continue
            assertion = assert_mention(sent, m.start(), m.end(), vocab)
            if assertion.kind in ("affirmed", "negated" if name == "not_improved" else "affirmed"):
                out.append((m.start(), m.end(), name))
                taken.append((m.start(), m.end()))
    for m in gates["improved"].finditer(clean, words=words, index=index):
        if any(a <= m.start() < b for a, b in taken) or _DOCUMENT.match(clean, m.end()):
            continue
        own = frozenset(WORD_RE.findall(clean[m.start():m.end()]))
        assertion = assert_mention(sent, m.start(), m.end(), vocab, literals=own)
        if assertion.kind == "affirmed":
            out.append((m.start(), m.end(), "improved"))
        elif assertion.kind == "negated":
            out.append((assertion.cue[0] if assertion.cue else m.start(), m.end(), "not_improved"))
    out.sort()
    return out


def _owner(courses: list[_Course], start: int, end: int, clean: str) -> _Course | None:
    """The course an attendance cue at [start, end) is about: the one it governs as its object
    ("never started the home exercise program"), else the last one before it ("was referred to
    physical therapy but never attended")."""
    after = [c for c in courses if end <= c.start and word_count(clean[end:c.start]) <= 3]
    if after:
        return after[0]
    before = [c for c in courses if c.end <= start]
    return before[-1] if before else None


def _nearest(course: _Course, cues: list[tuple[int, int, str]], clause: tuple[int, int]) -> tuple[int, int, str] | None:
    if not cues:
        return None
    cs, ce = clause
    local = [c for c in cues if cs <= c[0] < ce]
    pool = local or cues
    return min(pool, key=lambda c: abs(c[0] - course.start))


def _is_device(text: str) -> bool:
    return any(word in text for word in _DEVICES)


def read_responses(seg: Seg, text: str, vocab: Vocabulary, found: Findings, treatments: list[dict]) -> None:
    """Read the response of every course the segment names (see the module docstring)."""
    gates = vocab.response
    anatomy = default_anatomy()
    pairs = {index: (before, after) for index, before, after in pain_pairs(seg, vocab)}
    for index, sent in enumerate(seg.sentences):
        words = sentence_words(sent)
        if not (index in pairs or gates["improved"].could(words, sent.text) or gates["not_improved"].could(words, sent.text)
                or gates["worse"].could(words, sent.text) or gates["not_attended"].could(words, sent.text)
                or "no" in words or "not" in words or "never" in words or "without" in words):
            continue
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        courses = _courses(sent, clean, vocab)
        if not courses:
            continue
        cues = _cues(sent, clean, vocab)
        pair = pairs.get(index)
        if pair is not None:
            # pain with and without the course ("from 7/10 to 2/10 over five weeks of PT")
            cues.append((0, 0, "improved" if pair[1] < pair[0] else "not_improved"))
        absent_attendance = [(m.start(), m.end()) for m in gates["not_attended"].finditer(
            clean, words=words, index=sentence_index(sent, vocab))]
        if sent.places is None:
            sent.places = anatomy.places(clean)
        for course in courses:
            assertion = assert_mention(sent, course.start, course.end, vocab)
            if assertion.kind in ("negated", "lacking") and _COURSE_DOCUMENT.match(clean, course.end):
                continue        # "no physical therapy notes": the record lacks them, not the patient the course
            if assertion.kind == "negated" and assertion.cue and any(
                    a <= assertion.cue[0] < b for a, b, name in cues if name == "not_improved"):
                assertion = Assertion("affirmed")
            clause = clause_span(sent, course.start, vocab)
            parts, side = region(sent.places, clean, course.start, course.end, clause)
            evidence = sentence_evidence(seg, sent, text, course.start, course.end)
            conservative = course.kind in _CONSERVATIVE or course.drug_class in _CONSERVATIVE_DRUGS
            if assertion.kind == "negated":
                # never tried or never given: it cannot have failed
                if conservative and course.kind not in ("drug", "other"):
                    found.add("conservative_care_failed", RANK["absent"], "absent", evidence, parts, side)
                if course.kind == "other" and any(h in course.text for h in _HOME_EXERCISE):
                    found.add("home_exercise_failed", RANK["absent"], "absent", evidence, parts, side)
                if course.kind == "drug" and course.drug_class in _FIRST_LINE:
                    found.add("first_line_failed", RANK["absent"], "absent", evidence, [], None)
                if course.kind == "drug" and course.drug_class in _NEUROPATHIC_FIRST_LINE:
                    found.add("neuropathic_first_line_failed", RANK["absent"], "absent", evidence, [], None)
                continue
            attended = not any(_owner(courses, a, b, clean) is course for a, b in absent_attendance)
            if assertion.kind == "planned" and not attended:
                # "referred to physical therapy but never attended": a first course still to come
                _record(seg, sent, text, course, None, False, treatments, parts, side)
                if conservative and course.kind != "drug":
                    found.add("conservative_care_failed", RANK["absent"], "absent", evidence, parts, side)
                if course.kind in _REHABILITATION:
                    found.add("rehabilitation_ongoing", RANK["absent"], "absent", evidence, parts, side)
                continue
            if assertion.kind != "affirmed":
                continue
            if not attended and course.kind in _REHABILITATION:
                found.add("rehabilitation_ongoing", RANK["absent"], "absent", evidence, parts, side)
            cue = _nearest(course, cues, clause) if attended else None
            response = cue[2] if cue else None
            _record(seg, sent, text, course, response, attended, treatments, parts, side)
            if response is None:
                continue
            evidence = sentence_evidence(seg, sent, text, min(course.start, cue[0]), max(course.end, cue[1]))
            failed = response in ("not_improved", "worse")
            if conservative:
                status = "present" if failed else "absent"
                found.add("conservative_care_failed", RANK[status], status, evidence, parts, side)
            if course.kind == "drug" and failed:
                if course.drug_class in _FIRST_LINE:
                    found.add("first_line_failed", RANK["present"], "present", evidence, [], None)
                if course.drug_class in _NEUROPATHIC_FIRST_LINE:
                    found.add("neuropathic_first_line_failed", RANK["present"], "present", evidence, [], None)
            if course.kind == "equipment" and _is_device(course.text):
                status = "absent" if failed else "present"
                found.add("device_trial_successful", RANK[status], status, evidence, parts, side)
                if failed and "tens" in course.text:
                    found.add("tens_failed", RANK["present"], "present", evidence, parts, side)
            if course.kind == "other" and any(h in course.text for h in _HOME_EXERCISE) and failed:
                found.add("home_exercise_failed", RANK["present"], "present", evidence, parts, side)
            if course.kind == "injection" and failed:
                found.add("injection_sustained_relief", RANK["absent"], "absent", evidence, parts, side)


def _record(seg: Seg, sent: Sentence, text: str, course: _Course, response: str | None, attended: bool,
            treatments: list[dict], parts: list[str], side: str | None) -> None:
    """Put the course's response and attendance on its treatment entry (or add one)."""
    if course.kind in ("drug", "course") or (response is None and attended):
        return
    sentence_start, sentence_end = seg.start + sent.start, seg.start + sent.end
    entry = next((t for t in treatments if t.get("kind") == course.kind
                  and sentence_start <= t.get("evidence", {}).get("start", -1) < sentence_end), None)
    if entry is None:
        entry = {"kind": course.kind, "text": seg.raw[sent.start + course.start:sent.start + course.end],
                 "evidence": span_evidence(seg, text, sent.start + course.start, sent.start + course.end)}
        count = treatment_count(sent.text, course.start, course.end)
        if count is not None:
            entry["count"] = {"value": count, "evidence": span_evidence(seg, text, sent.start, sent.end)}
        if parts:
            entry["body_parts"] = list(parts)
            entry["body_part"] = parts[0]
            if side:
                entry["side"] = side
        treatments.append(entry)
    if response is not None and "response" not in entry:
        entry["response"] = {"value": response,
                             "evidence": span_evidence(seg, text, sent.start, sent.end)}
    if not attended:
        entry["attended"] = False


# ------------------------------------------------------------------ relief after an injection

_PERCENT = re.compile(r"(?<![\w.])(\d{1,3})(?:\s*(?:-|to)\s*(\d{1,3}))?\s*(?:%|percent\b)|\b(?:half|halved|halves|by half)\b")
_DURATION = re.compile(r"(?<![\w.])(\d{1,2}|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r"|a|an|one|a few|several)"
                       r"(?:\s*(?:-|to)\s*(\d{1,2}))?\s+(hours?|days?|weeks?|months?|years?)\b")
_WEEKS = {"hour": 1 / 168, "day": 1 / 7, "week": 1.0, "month": 4.33, "year": 52.0}
_DIAGNOSTIC = re.compile(r"\b(?:medial branch|mbbs?|diagnostic (?:block|blocks|injection)|facet (?:block|blocks|injection|injections))\b")
_NEUROTOMY = re.compile(r"\b(?:radiofrequency|rfa|rhizotomy|neurotomy|ablation)\b")
_INJECTION = re.compile(r"\b(?:epidural|esi|esis|injection|injections|block|blocks|shot)\b")


def _percent(clean: str) -> float | None:
    m = _PERCENT.search(clean)
    if m is None:
        return None
    if m.group(1) is None:
        return 50.0
    low = float(m.group(1))
    return min(low, float(m.group(2))) if m.group(2) else low


def _duration_weeks(clean: str) -> float | None:
    best = None
    for m in _DURATION.finditer(clean):
        word = m.group(1)
        count = _WORD_NUMBERS.get(word, 1 if word in ("a", "an", "one") else None)
        if count is None:
            count = 2 if word in ("a few", "several") else int(word)
        unit = m.group(3).rstrip("s")
        weeks = count * _WEEKS[unit]
        best = weeks if best is None else max(best, weeks)
    return best


def read_injection_relief(seg: Seg, text: str, vocab: Vocabulary, found: Findings) -> None:
    """How much and how long an injection, a block or a neurotomy relieved the pain, against the
    guideline thresholds: a diagnostic medial branch block at least 70% (how long the relief
    lasted is not checked against the anesthetic's duration), a therapeutic injection at least 50% for at least 6 weeks, a radiofrequency
    neurotomy at least 50% for at least 12 weeks. A sentence that states the percentage (and the
    duration where it counts) gives the finding present when the threshold is met, absent when not."""
    for index, sent in enumerate(seg.sentences):
        low = sent.text
        if "%" not in low and "percent" not in low and "half" not in low:
            continue
        if not _INJECTION.search(low) and not _NEUROTOMY.search(low):
            continue
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        kind_m = _NEUROTOMY.search(clean) or _DIAGNOSTIC.search(clean) or _INJECTION.search(clean)
        if kind_m is None or assert_mention(sent, kind_m.start(), kind_m.end(), vocab).kind != "affirmed":
            continue
        percent = _percent(clean)
        if percent is None:
            continue
        weeks = _duration_weeks(clean)
        evidence = sentence_evidence(seg, sent, text)
        if _NEUROTOMY.search(clean):
            concept, ok = "neurotomy_sustained_relief", percent >= 50 and weeks is not None and weeks >= 12
            known = weeks is not None or percent < 50
        elif _DIAGNOSTIC.search(clean):
            concept, ok = "diagnostic_block_positive", percent >= 70
            known = True
        else:
            concept, ok = "injection_sustained_relief", percent >= 50 and weeks is not None and weeks >= 6
            known = weeks is not None or percent < 50
        if known:
            status = "present" if ok else "absent"
            found.add(concept, RANK[status], status, evidence, [], None)
