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

from dataclasses import dataclass

from .anatomy import default_anatomy, region
from .context import assert_mention, clause_span
from .findings import RANK, Findings
from .sentences import Seg, Sentence, clean_text, sentence_evidence, sentence_index, sentence_kind, sentence_words, \
    span_evidence
from .treatments import treatment_count
from .vocabulary import Vocabulary, drug_lexicon

# Treatment kinds that are conservative care; "course" is a generic course word.
_CONSERVATIVE = frozenset({"physical_therapy", "occupational_therapy", "aquatic_therapy", "chiropractic", "acupuncture",
                           "injection", "equipment", "other", "program", "course"})
_CONSERVATIVE_DRUGS = frozenset({"nsaid", "acetaminophen", "muscle_relaxant", "anticonvulsant", "antidepressant",
                                 "topical_analgesic", "corticosteroid"})
_FIRST_LINE = frozenset({"nsaid", "acetaminophen", "antidepressant", "anticonvulsant"})
_NEUROPATHIC_FIRST_LINE = frozenset({"antidepressant", "anticonvulsant"})
_DEVICES = ("tens", "h wave", "h-wave", "hwave", "interferential", "stimulat", "neuromuscular")
_HOME_EXERCISE = ("home exercise", "home program", "home stretching", "exercise program", "home routine")


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
    lexicon = drug_lexicon()
    if lexicon is not None:
        for mention in lexicon.find(clean):
            found.append(_Course(mention.start, mention.end, "drug", mention.drug.drug_class, clean[mention.start:mention.end]))
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
            assertion = assert_mention(sent, m.start(), m.end(), vocab)
            if assertion.kind in ("affirmed", "negated" if name == "not_improved" else "affirmed"):
                out.append((m.start(), m.end(), name))
                taken.append((m.start(), m.end()))
    for m in gates["improved"].finditer(clean, words=words, index=index):
        if any(a <= m.start() < b for a, b in taken):
            continue
        assertion = assert_mention(sent, m.start(), m.end(), vocab)
        if assertion.kind == "affirmed":
            out.append((m.start(), m.end(), "improved"))
        elif assertion.kind == "negated":
            out.append((assertion.cue[0] if assertion.cue else m.start(), m.end(), "not_improved"))
    out.sort()
    return out


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
    for index, sent in enumerate(seg.sentences):
        words = sentence_words(sent)
        if not (gates["improved"].could(words, sent.text) or gates["not_improved"].could(words, sent.text)
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
        absent_attendance = [(m.start(), m.end()) for m in gates["not_attended"].finditer(
            clean, words=words, index=sentence_index(sent, vocab))]
        if sent.places is None:
            sent.places = anatomy.places(clean)
        for course in courses:
            assertion = assert_mention(sent, course.start, course.end, vocab)
            clause = clause_span(sent, course.start, vocab)
            parts, side = region(sent.places, clean, course.start, course.end, clause)
            evidence = sentence_evidence(seg, sent, text, course.start, course.end)
            conservative = course.kind in _CONSERVATIVE or course.drug_class in _CONSERVATIVE_DRUGS
            if assertion.kind == "negated":
                if conservative and course.kind != "drug":
                    found.add("conservative_care_failed", RANK["absent"], "absent", evidence, parts, side)
                continue
            if assertion.kind != "affirmed":
                continue
            attended = not any(clause[0] <= a < clause[1] for a, _ in absent_attendance)
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
        treatments.append(entry)
    if response is not None and "response" not in entry:
        entry["response"] = {"value": response,
                             "evidence": span_evidence(seg, text, sent.start, sent.end)}
    if not attended:
        entry["attended"] = False
