"""The context of a mention in its sentence: what the sentence asserts about it.

Stage: extraction, between sentences and findings. In the manner of ConText / NegEx, a sentence
is cut into clauses and its triggers are found once (rules/vocab/negation.yaml `context`); a
mention (a concept phrase, a drug, a treatment at [start, end) of the sentence's clean text)
then gets an `Assertion`:

| kind         | status         | meaning                                                      |
|--------------|----------------|--------------------------------------------------------------|
| affirmed     | present        | the text says it is so                                       |
| negated      | absent         | the text says it is not so (the patient, an examination, a test) |
| lacking      | not_documented | the text says the record does not show it                    |
| hypothetical | None           | a condition ("if", "in the event of", "would be justified")  |
| other        | None           | about someone else (family history, a spouse, a coworker)    |
| planned      | None           | ordered, requested, planned or the purpose of a test, not done |
| historical   | None           | a remote past, for a concept about the present               |
| reported     | None           | a symptom told by the patient, for a concept needing a sign  |
| suspected    | None           | a possibility, for a concept that is not itself a suspicion  |

A trigger governs a mention when it is in the mention's clause, before it (`forward`) or after
it (`backward`) within its scope in words, with no terminator in between; a trigger inside the
matched span governs too, unless its words are the phrase's own ("reflex ... absent"). When
several govern, the first kind of `precedence` wins. Guideline sentences never reach here
(sentences.sentence_kind). Nothing here raises for odd text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .phrases import WORD_RE
from .sentences import Sentence, clean_text, sentence_index, sentence_words, word_count
from .vocabulary import Vocabulary

__all__ = ["Assertion", "assert_mention", "negation_of", "NOT_A_FACT"]

# Strength and reflex grades are examination findings: "4/5", "4+/5", "1+", "trace".
_GRADE = re.compile(r"(?<![\w/])(?:[0-5][+-]?/5|[0-4]\+)(?![\w/])")
# An enumeration inside a sentence ("1) ... 2) ...") starts a clause.
_ENUMERATION = re.compile(r"(?:^|\s)\(?(?:\d{1,2}|[a-h])\)\s")
_YEAR = re.compile(r"(?<![\w/.-])(19[5-9]\d|20[0-4]\d)(?![\w/-])")
_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})(?![\w/-])")
_RELATIVE = re.compile(r"\s*,?\s*(?:which|who|whose|where)\b")
_IF_WHETHER = re.compile(r"(?:if|whether)\b")
# A clause that opens with a verb has the subject of the clause before it ("her roommate ... tore
# her rotator cuff and is scheduled for repair").
_ELIDED_SUBJECT = re.compile(r"\s*,?\s*(?:and|but|or)?\s*(?:is|was|are|were|has|had|have|will|would|can|could|does|did|"
                             r"do|also|then|later|subsequently)\b")
_SINCE = re.compile(r"\bsince\b")
# the record "contains no", "includes no", "has no": what it holds, not what an examination found
_POSSESSES = re.compile(r"\b(?:contains?|contained|includes?|included|has|have|had|offers?|offered|provides?|provided|gives?|"
                        r"gave|lists?|listed|holds?|held)\s*$")
# "lack of bone tenderness": for an examination sign the lack is the patient's, unless what is
# lacking is the record ("lack of documentation")
_RECORD_NOUN = re.compile(r"\s*(?:of\s+)?(?:any\s+|objective\s+|clear\s+|adequate\s+|sufficient\s+)*(?:documentation|documented|evidence|"
                          r"information|records?|notes?|mention|details?|data|reports?|measurements?|description|discussion|"
                          r"explanation|rationale|quantification|objective)\b")
_RECENT_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})[/-](?:\d{1,2}[/-])?(\d{4}|\d{2})(?![\w/-])|(?<![\w/.-])(19[5-9]\d|20[0-4]\d)(?![\w/-])")
_REPORTER = re.compile(r"(?:\s+\w+)?\s+(?:reported|reports|said|says|states|stated|told|tells|noted|notes|observed|observes|"
                       r"describes|described|confirms|confirmed|explained|explains)\b")
# "no pain ratings ... are documented": a "no" with a record verb after the mention is a gap
_RECORD_VERB = re.compile(r"\b(?:is|are|was|were|has been|have been)\s+(?:documented|recorded|noted|provided|given|"
                          r"reported|mentioned|described|specified|included|available|submitted|found in the records?)\b")

STATUS = {"affirmed": "present", "negated": "absent", "lacking": "not_documented", "resolved": "absent"}
# Words a cue shares with any phrase; a cue inside a match counts only if some other word of
# it is not the phrase's own ("sensation ... is absent": "absent" is the phrase's, "is" is no cue).
_FUNCTION_WORDS = frozenset("a an the is are was were be been being has have had do does did of to in on at by for "
                            "with it its this that".split())
NOT_A_FACT = ("hypothetical", "other", "planned", "historical", "reported", "suspected")
# A list the trigger heads ("The plan included an MRI, EMG/NCV, Prevacid and tramadol"; "denies
# fever, chills, numbness or tingling"): its items are split at commas and "and"/"or", and a
# trigger governs every item, however far, while the items stay short (a negation's items
# shorter still: "no tenderness, decreased range of motion" is two statements).
_LIST_SPLIT = re.compile(r",|\b(?:and|or)\b")
_LIST_ITEM_WORDS = {"negated": 4}
_LIST_ITEM_DEFAULT = 12
_LIST_MAX_ITEMS = 10
_LIST_HEAD_SCOPE = 5        # a short-scope trigger is a modifier ("intact sensation"), not a list's head
# a negation's item that carries its own result is a finding of its own ("no tenderness, decreased
# range of motion, positive straight leg raise")
_OWN_RESULT = re.compile(r"\b(?:positive|negative|decreased|increased|diminished|reduced|limited|restricted|abnormal|"
                         r"normal|intact|present|absent|elicited|unobtainable|brisk|hyperactive|hypoactive|"
                         r"asymmetric|symmetric|equal|unequal|atrophic|weak)\b")
# an item with a verb, a subject or a contrast is a clause of its own, not an item
_NOT_AN_ITEM = re.compile(r"\b(?:is|are|was|were|has|have|had|does|did|do|will|would|can|could|he|she|they|we|his|her|"
                          r"their|but|although|though|however|despite|notwithstanding|yet|while|whereas|except|with|without)\b")


@dataclass(frozen=True)
class Assertion:
    kind: str                              # see the module docstring
    cue: tuple[int, int] | None = None     # the deciding trigger's span in the clean text
    governing: frozenset[str] = frozenset()  # every kind of trigger that governs the mention

    @property
    def status(self) -> str | None:
        """present / absent / not_documented, or None when the mention is not a patient fact."""
        return STATUS.get(self.kind)


@dataclass(frozen=True)
class _Cue:
    cls: str
    direction: str
    scope: int
    start: int
    end: int
    at_clause_start: int | None


@dataclass
class _Context:
    text: str
    clauses: list[tuple[int, int]]
    relative: list[bool]                         # the clause opens with "which", "who", ...
    starts: list[int]
    cues: list[_Cue]
    terminators: list[tuple[int, int]]
    grades: list[int]
    resolutions: list[tuple[int, int]] = field(default_factory=list)
    old: dict = field(default_factory=dict)          # reference year -> spans of older dates


def _clauses(text: str, breaks: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[bool]]:
    spans = []
    relative = [False]
    cursor = 0
    for b_start, b_end in sorted(breaks):
        if b_start < cursor:
            continue
        spans.append((cursor, b_start))
        relative.append(_RELATIVE.match(text, b_start) is not None)
        # the next clause starts at the break's words ("and the interossei are weak" keeps its
        # subject); only a punctuation mark is left out
        cursor = b_start + 1 if text[b_start] in ",;:" else b_start
    spans.append((cursor, len(text)))
    return spans, relative


def _next_word(text: str, at: int) -> str:
    m = WORD_RE.search(text, at)
    return m.group(0) if m else ""


def _previous_word(text: str, at: int) -> str:
    words = WORD_RE.findall(text[max(0, at - 24):at])
    return words[-1] if words else ""


def _old(year: int, ref_year: int | None) -> bool:
    return ref_year is not None and year < ref_year - 1


def _context(sent: Sentence, vocab: Vocabulary) -> _Context:
    cached = sent.cues
    if cached is not None:
        return cached
    text = clean_text(sent, vocab)
    words = sentence_words(sent)
    index = sentence_index(sent, vocab)
    cv = vocab.context
    pseudo = [(m.start(), m.end()) for m in cv.pseudo.finditer(text, words=words, index=index)]
    breaks = [(m.start(), m.end()) for m in cv.breaks.finditer(text, words=words, index=index)]
    if ")" in text:           # what an enumeration needs
        breaks += [(m.start(), m.end()) for m in _ENUMERATION.finditer(text) if m.start() > 0]
    # ", but not limited to," opens no clause: a break inside a pseudo-trigger (or just before it) is none
    breaks = [b for b in breaks if not any(a - 2 <= b[0] and b[1] <= e for a, e in pseudo)]
    clauses, relative = _clauses(text, breaks)
    cues: list[_Cue] = []
    for which in cv.trigger_index.candidates(words, text):
        tl = cv.triggers[which]
        for m in tl.gate.finditer(text, words=words, index=index):
            if tl.not_before and _next_word(text, m.end()) in tl.not_before:
                continue
            if tl.not_after and _previous_word(text, m.start()) in tl.not_after:
                continue                  # "the jerk was absent and ...": a predicate governs nothing after it
            if any(a <= m.start() and m.end() <= b for a, b in pseudo):
                continue                  # "not only", "if unit": inside a pseudo-trigger, no trigger
            cues.append(_Cue(tl.cls, tl.direction, tl.scope, m.start(), m.end(), tl.at_clause_start))
    # a cue inside a longer cue of another class is part of it ("no" in "no documentation of")
    cues = [c for c in cues if not any(o is not c and o.cls != c.cls and o.start <= c.start and c.end <= o.end
                                       and (o.end - o.start) > (c.end - c.start) for o in cues)]
    cues = [_reclassify(c, text, clauses, cv, words, index) for c in cues]
    # "her husband reported she has been taking extra doses": the other person tells, the patient does
    cues = [c for c in cues if not (c.cls == "other" and _REPORTER.match(text, c.end))]
    # "unclear whether", "not documented if": the condition is what the record lacks
    cues = [c for c in cues if not (c.cls == "hypothetical" and _IF_WHETHER.match(text, c.start) and any(
        o.cls == "lacking" and o.end <= c.start and word_count(text[o.end:c.start]) <= 2 for o in cues))]
    cues.sort(key=lambda c: (c.start, c.end))
    terminators = [(m.start(), m.end()) for m in cv.terminators.finditer(text, words=words, index=index)]
    grades = [m.start() for m in _GRADE.finditer(text)] if "/" in text or "+" in text else []
    ctx = _Context(text, clauses, relative, [s for s, _ in clauses], cues, terminators, grades)
    # an anaphor opens its clause ("...; it has since resolved", "...; but was not found on repeat
    # testing"): a clause with a subject of its own ("sensory loss ... was not identified") is no anaphor
    ctx.resolutions = [(m.start(), m.end()) for m in cv.anaphoric_resolution.finditer(text, words=words, index=index)
                       if _ANAPHOR.match(text, m.start())
                       or word_count(text[clauses[_clause_index(clauses, m.start())][0]:m.start()]) <= 1]
    sent.cues = ctx
    return ctx


_PATIENT_SUBJECT = re.compile(r"\s*(?:(?:and|but|however|,)\s*)*(?:he|she|they|the patient|the injured worker|the claimant|"
                              r"the applicant|the employee)\s+(?:also\s+|still\s+)?$")


def _reclassify(cue: _Cue, text: str, clauses, cv, words, index) -> _Cue:
    """A negation about the record is a gap; a gap after a test result is a negative result; a
    "does not describe" whose subject is the patient is the patient's own denial."""
    if cue.cls not in ("negated", "lacking"):
        return cue
    cs = next((s for s, e in reversed(clauses) if s <= cue.start), 0)
    before = text[cs:cue.start]
    if cue.cls == "lacking" and _PATIENT_SUBJECT.match(before) and text.startswith(("does not", "did not", "do not"), cue.start) \
            and not _HAS_RECORD.search(text, cue.start, cue.end) and not _HAS_RECORD.match(text, cue.end):
        return _Cue("negated", cue.direction, 8, cue.start, cue.end, cue.at_clause_start)
    recent = " ".join(WORD_RE.findall(before)[-6:])
    if cue.cls == "negated" and cue.direction != "backward" and \
            cv.record_subjects.search(recent) is not None and \
            (not text.startswith("no ", cue.start) or _POSSESSES.search(recent) is not None):
        # "the notes do not show X", "the file contains no X": a gap; but "the PR-2 recorded no
        # X" reports an examination that found none
        return _Cue("lacking", cue.direction, max(cue.scope, 12), cue.start, cue.end, cue.at_clause_start)
    if cue.cls == "lacking" and cue.direction == "forward" and text.startswith(("no ", "without ", "lacking"), cue.start) and \
            not text.startswith("that", cue.end + 1) and cv.result_context.search(before, words=words) is not None:
        return _Cue("negated", cue.direction, cue.scope, cue.start, cue.end, cue.at_clause_start)
    if cue.cls == "lacking" and cue.direction == "backward" and _NOT_FOUND.match(text, cue.start) and \
            cv.result_context.search(text[:cue.start] if _LABEL.match(text) else before, words=words) is not None:
        # "Neuro: ...; sensory loss in the L5 dermatome was not identified": an examination found none
        return _Cue("negated", cue.direction, cue.scope, cue.start, cue.end, cue.at_clause_start)
    return cue


# "the patient does not have objective documentation of ...": still the record's gap
_HAS_RECORD = re.compile(r"\s*(?:have|has|had)?\s*(?:any\s+|objective\s+|clear\s+|adequate\s+|documented\s+)*"
                         r"\b(?:documentation|evidence|records?|notes?|information)\b")
# "was not identified": a result in an examination context; "Neuro:", "Objective:" label a sentence
_NOT_FOUND = re.compile(r"(?:was|were|is|are)\s+not\s+(?:identified|noted|found|seen|detected|present|appreciated)\b")
_LABEL = re.compile(r"\s*[a-z][a-z /-]{1,24}:")
# a verb of effect a negation governs in place of its object
_EFFECT_VERB = re.compile(r"\b(?:help|helped|helps|relieve|relieved|relieves|improve|improved|improves|control|controlled|"
                          r"controls|reduce|reduced|reduces|resolve|resolved|resolves|alleviate|alleviated|ease|eased|"
                          r"touch|touched|change|changed|affect|affected|eliminate|eliminated|decrease|decreased|lessen|"
                          r"lessened|cure|cured|benefit|benefited|benefitted)\b")
# a predicate, then a coordinated clause with its own subject: "flexion has gone from 110 to 165 and
# his night pain has largely abated"
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|does|did)\b.*\band (?:his|her|their|the|its|this|that|my)\b")
_ANAPHOR = re.compile(r"(?:it|this|these|they|both|the|none|neither)\b")


def _clause_index(clauses, offset: int) -> int:
    return max(0, bisect.bisect_right([s for s, _ in clauses], offset) - 1)


def _old_dates(ctx: _Context, ref_year: int | None) -> list[tuple[int, int]]:
    """Spans of years and dates more than a year before `ref_year` (the letter's now)."""
    if ref_year is None:
        return []
    found = ctx.old.get(ref_year)
    if found is None:
        found = []
        for m in _YEAR.finditer(ctx.text):
            if _old(int(m.group(1)), ref_year):
                found.append((m.start(), m.end()))
        for m in _DATE.finditer(ctx.text):
            year = int(m.group(3))
            if year < 100:
                year += 2000 if year <= 40 else 1900
            if _old(year, ref_year):
                found.append((m.start(), m.end()))
        ctx.old[ref_year] = found
    return found


def crosses_clauses(sent: Sentence, start: int, end: int, vocab: Vocabulary) -> bool:
    """Whether [start, end) runs over a clause break: a phrase whose gap spans two clauses
    ("in the hand, and the interossei are weak") is not one statement."""
    ctx = _context(sent, vocab)
    return _clause_of(ctx, start) != _clause_of(ctx, max(start, end - 1))


def _recent_date(ctx: _Context, cs: int, ce: int, ref_year: int | None) -> bool:
    """Whether the clause dates itself within the year before the letter's now ("on 6/1/2016
    revealed ..."): an examination of now, whatever older date the clause also names."""
    if ref_year is None:
        return False
    for m in _RECENT_DATE.finditer(ctx.text, cs, ce):
        year = m.group(2) or m.group(3)
        value = int(year)
        if value < 100:
            value += 2000 if value <= 40 else 1900
        if value >= ref_year - 1 and (m.group(1) is None or int(m.group(1)) <= 12):
            return True
    return False


def clause_span(sent: Sentence, offset: int, vocab: Vocabulary) -> tuple[int, int]:
    """The clause of the sentence's clean text that holds `offset`."""
    ctx = _context(sent, vocab)
    return ctx.clauses[_clause_of(ctx, offset)]


def _clause_of(ctx: _Context, offset: int) -> int:
    return max(0, bisect.bisect_right(ctx.starts, offset) - 1)


def _blocked(ctx: _Context, lo: int, hi: int) -> bool:
    return any(lo <= a and b <= hi for a, b in ctx.terminators)


def _governs(ctx: _Context, cue: _Cue, start: int, end: int, cs: int, ce: int, literals: frozenset[str]) -> bool:
    text = ctx.text
    if start <= cue.start and cue.end <= end:
        own = set(WORD_RE.findall(text[cue.start:cue.end])) - _FUNCTION_WORDS
        return not own <= literals
    if cue.start < start < cue.end and cue.direction != "backward":
        # "undermined the suspicion of" around the phrase's "suspicion of": the cue opens it
        return not set(WORD_RE.findall(text[cue.start:start])) <= literals
    if cue.at_clause_start is not None:
        # counted from the clause start or the last comma before the cue ("Per the intake form, his father ...")
        lead = max(cs, *(text.rfind(mark, cs, cue.start) + 1 for mark in ",:;("))
        if word_count(text[lead:cue.start]) > cue.at_clause_start:
            return False
    if cue.end <= start and cue.start >= cs and cue.direction in ("forward", "both"):
        between = text[cue.end:start]
        if cue.cls == "negated" and _EFFECT_VERB.search(between):
            # "Gabapentin did not help her neuropathic pain": the negation is the help's; the
            # pain it names is still there
            return False
        if cue.cls == "lacking" and between.lstrip().startswith("that "):
            # "the documentation does not reveal that the condition is due to tendinosis": the whole
            # proposition is what the record lacks, its "due to" included
            return word_count(between) <= cue.scope
        if cue.cls == "negated" and "," in between and \
                _OWN_RESULT.search(between.split(",", 1)[1] + " " + text[start:end]):
            return False        # "no tenderness, decreased motion, positive SLR": the negation ends at the comma
        return (word_count(between) <= cue.scope or _list_item(between, cue, text[start:end])) \
            and not _blocked(ctx, cue.end, start)
    if cue.start >= end and cue.end <= ce and cue.direction in ("backward", "both"):
        if cue.direction == "backward" and _FINITE.search(text, start, cue.start):
            return False        # "flexion has gone from 110 to 165 and his night pain has abated": another predicate's
        return word_count(text[end:cue.start]) <= cue.scope and not _blocked(ctx, end, cue.start)
    return False


def _list_item(between: str, cue: _Cue, mention: str) -> bool:
    """Whether a `mention` `between` words after a forward trigger is a later item of the list
    the trigger heads: the text holds a comma, the first item lies within the trigger's scope,
    and every item is short (a negation's items carry no result of their own)."""
    if "," not in between or cue.scope < _LIST_HEAD_SCOPE:
        return False
    first, rest = between.split(",", 1)
    items = _LIST_SPLIT.split(rest)
    if len(items) >= _LIST_MAX_ITEMS or word_count(first) > cue.scope + 2:
        return False
    longest = _LIST_ITEM_WORDS.get(cue.cls, _LIST_ITEM_DEFAULT)
    if cue.cls == "negated" and any(ch.isdigit() for ch in between):
        return False            # "negative for X, 5/5 strength, DTRs 2+": examination results, each its own
    return all(word_count(item) <= longest and _NOT_AN_ITEM.search(item) is None for item in items)


def assert_mention(sent: Sentence, start: int, end: int, vocab: Vocabulary, *, concept: str | None = None,
                   literals: frozenset[str] = frozenset(), ref_year: int | None = None) -> Assertion:
    """The assertion the sentence makes about the mention at [start, end) of its clean text."""
    ctx = _context(sent, vocab)
    ci = _clause_of(ctx, start)
    cs = ctx.clauses[ci][0]
    ce = ctx.clauses[_clause_of(ctx, max(start, end - 1))][1]
    found: dict[str, tuple[int, int]] = {}
    for cue in ctx.cues:
        if cue.start > ce:
            break
        if cue.cls in ("historical", "present", "exam") or cue.cls in found:
            continue
        if _governs(ctx, cue, start, end, cs, ce, literals):
            found[cue.cls] = (cue.start, cue.end)
    text = ctx.text
    # a relative clause is about its antecedent ("her husband, who is homebound"); a clause that
    # opens with a verb continues the subject before it
    if "other" not in found and ci > 0:
        if ctx.relative[ci]:
            ps, pe = ctx.clauses[ci - 1]
            for cue in ctx.cues:
                if cue.cls == "other" and ps <= cue.start and cue.end <= pe and word_count(text[cue.end:pe]) <= 4:
                    found["other"] = (cue.start, cue.end)
        elif _ELIDED_SUBJECT.match(text, cs):
            k = ci - 1
            while k > 0 and (ctx.relative[k] or _ELIDED_SUBJECT.match(text, ctx.clauses[k][0])):
                k -= 1
            ps, pe = ctx.clauses[k]
            for cue in ctx.cues:
                if cue.cls == "other" and ps <= cue.start < pe and (cue.at_clause_start is None or
                                                                  word_count(text[ps:cue.start]) <= cue.at_clause_start):
                    found["other"] = (cue.start, cue.end)
                    break
    # "...; the repeat study showed that it had regressed completely"
    if "resolved" not in found:
        for a, b in ctx.resolutions:
            if a >= ce:
                found["resolved"] = (a, b)
                break
    if "negated" in found and "lacking" not in found and found["negated"][1] <= start and \
            _RECORD_VERB.search(text, end, ce) is not None:
        found["lacking"] = found.pop("negated")
    # "There is no evidence that ... the section which recommends functional goals": the gap
    # in the record is the statement; what it names inside is not a plan
    if "lacking" in found and "planned" in found and found["lacking"][0] < found["planned"][0]:
        del found["planned"]
    governing = frozenset(found)
    if concept is not None and "lacking" in found and (concept in vocab.needs_sign or concept in vocab.suspicion) and \
            text.startswith(("lack", "absence", "absent"), found["lacking"][0]) and \
            _RECORD_NOUN.match(text, found["lacking"][1]) is None:
        found["negated"] = found.pop("lacking")
    if concept is not None and "negated" in found and concept not in vocab.current and _SINCE.search(text, cs, ce):
        # "no GI bleeding or ulcer since": a quiet interval says nothing of the history
        found["historical"] = found.pop("negated")
    if concept is not None:
        if concept in vocab.current and "historical" not in found:
            present = any(c.cls == "present" and cs <= c.start < ce for c in ctx.cues) or \
                _recent_date(ctx, cs, ce, ref_year)
            if not present:
                old = _old_dates(ctx, ref_year)
                past = next(((c.start, c.end) for c in ctx.cues if c.cls == "historical"), None) or \
                    (old[0] if old else None)
                if past is not None:
                    found["historical"] = past
        if concept in vocab.needs_sign and "reported" in found:
            if any(c.cls == "exam" and cs <= c.start < ce for c in ctx.cues) or \
                    any(cs <= g < ce for g in ctx.grades):
                del found["reported"]
        elif "reported" in found:
            del found["reported"]
        if concept in vocab.plans:
            found.pop("planned", None)
        if concept in vocab.suspicion:
            found.pop("suspected", None)
            found.pop("planned", None)      # "an MRI requested to rule out a tear": the tear is suspected
    else:
        found.pop("reported", None)
    for kind in vocab.context.precedence:
        if kind in found:
            return Assertion(kind, found[kind], governing)
    return Assertion("affirmed", None, governing)


def sign_result(sent: Sentence, start: int, end: int, vocab: Vocabulary) -> str | None:
    """The result the clause gives for a named test at [start, end): "negative" when a negative
    result stands near it ("SLR to 90 degrees without leg pain", "negative for reproduction of
    leg pain") or its positive result word is negated; "positive" for a positive result near it
    ("Spurling's test is positive on the left", "foraminal compression reproduced his arm
    pain"); None when the clause names the test without its result. The nearest result is the
    test's: "positive straight leg raise on the left at 45 degrees and negative on the right" is
    positive (the negative is the other side's)."""
    found = sign_results(sent, start, end, vocab)
    return min(found)[2] if found else None


def sign_results(sent: Sentence, start: int, end: int, vocab: Vocabulary,
                 others: list[tuple[int, int]] = ()) -> list[tuple[int, int, str, int, int]]:
    """Every result near the named test at [start, end), as (distance in words, 0 for a negative
    result word or 1 for a positive one, "negative" | "positive", its span), leaving out results
    that lie beyond another named test (`others`: "SLR was negative and Spurling's was positive")."""
    ctx = _context(sent, vocab)
    cs, ce = ctx.clauses[_clause_of(ctx, start)]
    text = ctx.text

    def distance(a: int, b: int) -> int | None:
        """Words between the test and a result near it (0 inside it), None when not near."""
        if start <= a and b <= end:
            return 0
        if b <= start and word_count(text[b:start]) <= 4:
            return word_count(text[b:start])
        if a >= end and word_count(text[end:a]) <= 8:
            return word_count(text[end:a])
        return None

    def beyond_another(a: int, b: int) -> bool:
        return any((end <= o_start and o_end <= a) or (b <= o_start and o_end <= start) for o_start, o_end in others)

    found = []
    for m in vocab.context.sign_negative_results.finditer(text[cs:ce]):
        a, b = cs + m.start(), cs + m.end()
        d = distance(a, b)
        if d is not None and not beyond_another(a, b):
            found.append((d, 0, "negative", a, b))
    for m in vocab.context.sign_results.finditer(text[cs:ce]):
        a, b = cs + m.start(), cs + m.end()
        d = distance(a, b)
        if d is not None and not beyond_another(a, b):
            own = frozenset(WORD_RE.findall(text[a:b]))
            assertion = assert_mention(sent, a, b, vocab, literals=own)
            # "not positive", "no reproduction of": a negation before the result word; a "negative"
            # after it is another result, weighed by its own distance
            negated = assertion.kind in ("negated", "resolved") and assertion.cue is not None and assertion.cue[0] < a
            found.append((d, 1, "negative" if negated else "positive", a, b))
    return found


def in_present(sent: Sentence, offset: int, vocab: Vocabulary) -> bool:
    """Whether the clause holding `offset` says what holds now ("now", "at today's visit")."""
    ctx = _context(sent, vocab)
    cs, ce = ctx.clauses[_clause_of(ctx, offset)]
    return any(c.cls == "present" and cs <= c.start < ce for c in ctx.cues)


def exam_context(sent: Sentence, vocab: Vocabulary) -> bool:
    """Whether the sentence speaks of an examination or a test (a grade such as 4/5 counts)."""
    ctx = _context(sent, vocab)
    return bool(ctx.grades) or any(c.cls == "exam" for c in ctx.cues)


def negation_of(sent: Sentence, start: int, end: int, vocab: Vocabulary) -> tuple[str | None, int]:
    """The negation governing [start, end): ("not_documented" | "absent" | None, where the
    deciding cue starts, or `start`). A mention about someone else or a hypothetical counts as
    negated here: the callers (medications, treatments) keep only plain statements."""
    assertion = assert_mention(sent, start, end, vocab)
    if assertion.kind in ("affirmed", "planned", "suspected", "historical"):
        return None, start
    cue = assertion.cue[0] if assertion.cue else start
    return ("not_documented" if assertion.kind == "lacking" else "absent"), cue
