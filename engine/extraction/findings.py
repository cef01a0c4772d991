"""Finding concepts in a segment: each mention with its assertion, body parts and side.

Stage: extraction. Input: a prepared segment (sentences.Seg). Output: `Findings`, which
`finish()`es into the case's `findings` map ({concept: {status, evidence, body_parts?, side?,
mentions?}}) and the list of statements read but set aside (`set_aside`: a concept mentioned
in a guideline recital, a hypothetical, about someone else, planned, past, or a reported
symptom where a sign is needed).

How a mention is read: the concept phrases of rules/vocab/findings*.yaml are tried only in
sentences holding their trigger words; a match gets its assertion from context.assert_mention
(affirmed -> present, negated -> absent, lacking -> not_documented, any other kind -> set
aside) and its place from anatomy.region. `absent_phrases` say "not so" by themselves
("inadequate pain relief"); `symptom_phrases` of a concept that needs a sign ("weakness")
count only in a sentence about an examination; `sign_phrases` (a named test) only with a result
("positive", "reproduced", or a negation); `suspicion_phrases` (a lesion) only when suspected or
the purpose of a plan ("to rule out a tear"); `gap_phrases` (a topic: "work status") only when
the record is said to lack it; `negative_phrases` (a study result) only when negated ("the MRI
found no herniation": nothing corroborates a radiculopathy).

When a concept is stated several times, the strongest statement is the finding: absent >
not_documented > present > absent by an absent_phrase (a reviewer who quotes the patient's
report of relief and then writes "no documentation of quantified pain relief" makes the
finding; a positive sign is not undone by another, negative sign, so for concepts that need an
examination sign or state a suspicion every negative statement ranks as an absent_phrase). Statements of the concept
about other body parts or sides are kept in `mentions`, so that a request reads the one about
its own region (engine/regions.py).
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field

from .anatomy import default_anatomy, region, side_near
from .context import assert_mention, clause_span, crosses_clauses, exam_context, in_present, sign_results
from .phrases import DRUG_MARK
from .sentences import Seg, Sentence, clean_text, sentence_drugs, sentence_evidence, sentence_index, sentence_kind, \
    sentence_words
from .vocabulary import Vocabulary

RANK = {"absent": 4, "not_documented": 3, "present": 2, "absent_phrase": 1}
# a test not done gives no result ("Spurling's test was not performed")
_NOT_DONE = re.compile(r"\b(?:performed|done|tested|assessed|attempted|completed|examined|checked|obtained|conducted)\b")


@dataclass
class _Mention:
    rank: int
    status: str
    evidence: dict
    parts: list[str]
    side: str | None
    order: int


@dataclass
class Findings:
    """What a reading collected: fact mentions per concept, and statements set aside.
    `wanted`: the concepts to collect (None: every one); the statements of the others are
    dropped, and the readers skip what can only state them."""

    mentions: dict[str, list[_Mention]] = field(default_factory=dict)
    set_aside: list[dict] = field(default_factory=list)
    _seen: set = field(default_factory=set)
    wanted: frozenset[str] | None = None

    def wants(self, concepts) -> bool:
        """Whether any of `concepts` is collected."""
        return self.wanted is None or not self.wanted.isdisjoint(concepts)

    def add(self, concept: str, rank: int, status: str, evidence: dict, parts: list[str], side: str | None) -> None:
        if self.wanted is not None and concept not in self.wanted:
            return
        found = self.mentions.setdefault(concept, [])
        found.append(_Mention(rank, status, evidence, parts, side, len(found)))

    def aside(self, concept: str, kind: str, evidence: dict) -> None:
        if self.wanted is not None and concept not in self.wanted:
            return
        key = (concept, kind, evidence["start"])
        if key not in self._seen:
            self._seen.add(key)
            self.set_aside.append({"concept": concept, "assertion": kind, "evidence": evidence})

    def finish(self) -> dict:
        """The case's `findings` map: per concept the strongest statement, and the statements of
        other places in `mentions`."""
        out = {}
        for concept in sorted(self.mentions):
            found = self.mentions[concept]
            top = max(found, key=lambda m: (m.rank, -m.order))
            finding = _finding(top)
            others = []
            seen = {(top.status, tuple(top.parts), top.side)}
            for m in sorted(found, key=lambda m: (-m.rank, m.order)):
                key = (m.status, tuple(m.parts), m.side)
                if m is top or key in seen or (tuple(m.parts), m.side) == (tuple(top.parts), top.side) \
                        or (m.status == top.status and m.evidence["start"] == top.evidence["start"]):
                    continue
                seen.add(key)
                others.append(_finding(m))
            if others:
                finding["mentions"] = others
            out[concept] = finding
        return out

    def aside_list(self) -> list[dict]:
        return sorted(self.set_aside, key=lambda x: (x["evidence"]["start"], x["concept"]))


def _finding(m: _Mention) -> dict:
    finding: dict = {"status": m.status, "evidence": m.evidence}
    if m.parts:
        finding["body_parts"] = list(m.parts)
        if m.side:
            finding["side"] = m.side
    return finding


def drug_masked(sent: Sentence, vocab: Vocabulary) -> str:
    """The clean text with every drug name the lexicon finds masked by DRUG_MARK (cached): what
    phrases holding `<drug>` are matched against."""
    if sent.drugs is None:
        masked = clean_text(sent, vocab)
        for mention in sentence_drugs(sent, vocab):
            masked = masked[:mention.start] + DRUG_MARK * (mention.end - mention.start) + masked[mention.end:]
        sent.drugs = masked
    return sent.drugs


def _places(sent: Sentence, text: str):
    if sent.places is None:
        sent.places = default_anatomy().places(text)
    return sent.places


def read_findings(seg: Seg, text: str, vocab: Vocabulary, out: Findings) -> None:
    """Read every finding mention of the segment into `out` (of the concepts it wants)."""
    wanted = out.wanted
    phrases = vocab.phrases
    phrase_index = vocab.phrase_index
    if wanted is not None:             # the phrases of the wanted concepts only
        ids = tuple(sorted(i for concept in wanted for i in vocab.concept_phrases.get(concept, ())))
        if not ids:
            return
        phrase_index = phrase_index.restricted(ids)
    prefixes = phrase_index.prefixes_in(seg.low)     # a sentence holds no prefix its segment lacks
    for index, sent in enumerate(seg.sentences):
        if not sent.text.strip():
            continue
        words = sentence_words(sent)
        candidates = phrase_index.candidates(words, sent.text, prefixes)
        if not candidates:
            continue
        kind = sentence_kind(seg, index, vocab)
        if kind == "boilerplate":
            continue
        clean = clean_text(sent, vocab)
        positions = sentence_index(sent, vocab)
        anchor = None
        if kind == "guideline":
            found_anchor = vocab.patient_anchor.search(clean, words=words, index=positions)
            anchor = found_anchor.start() if found_anchor else None
        shadows: dict[str, list[tuple[int, int]]] = {}
        # in the vocabulary's order (absent phrases first: "inadequate pain relief" is not a
        # mention of pain relief), whatever order the sentence's words came in (that order
        # follows string hashing, which differs from one process to the next)
        for idx in candidates:
            cp = phrases[idx]
            matches = (cp.gate.regex.finditer(drug_masked(sent, vocab)) if cp.phrase.drug_groups
                       else cp.gate.finditer(clean, words=words, index=positions))
            for m in matches:
                if cp.kind == "absent_phrase":
                    shadows.setdefault(cp.concept, []).append((m.start(), m.end()))
                elif any(a <= m.start() < b for a, b in shadows.get(cp.concept, ())):
                    continue
                if kind == "guideline" and (anchor is None or m.start() < anchor):
                    out.aside(cp.concept, "guideline", sentence_evidence(seg, sent, text, m.start(), m.end()))
                    continue
                if crosses_clauses(sent, m.start(), m.end(), vocab):
                    continue
                # the letter's "now" matters only for a concept about the present (found when first needed)
                assertion = assert_mention(sent, m.start(), m.end(), vocab, concept=cp.concept, literals=cp.phrase.literals,
                                           ref_year=seg.ref_year if cp.concept in vocab.current else None)
                cue_at = assertion.cue[0] if assertion.cue else m.start()
                evidence = sentence_evidence(seg, sent, text, min(cue_at, m.start()), m.end())
                status = assertion.status
                if status is None:
                    out.aside(cp.concept, assertion.kind, evidence)
                    continue
                if cp.kind == "sign_phrase" and assertion.kind == "negated" and assertion.cue and \
                        _NOT_DONE.search(clean, assertion.cue[0], assertion.cue[1]):
                    out.aside(cp.concept, "not_done", evidence)
                    continue                  # "Spurling's test was not performed": no result at all
                if cp.kind == "symptom_phrase" and status == "present" and not exam_context(sent, vocab):
                    out.aside(cp.concept, "reported", evidence)
                    continue
                positive_side = None
                if cp.kind == "sign_phrase" and (status == "present" or assertion.kind == "negated"):
                    results = sign_results(sent, m.start(), m.end(), vocab, _named_tests(sent, clean, vocab))
                    if status == "present" and not results:
                        continue              # a test named without its result states nothing
                    status, positive_side = _test_result(clean, m.start(), m.end(), results, status)
                if cp.kind == "suspicion_phrase" and status == "present" and \
                        not assertion.governing & {"suspected", "planned"}:
                    continue                  # a lesion named outright is not a suspicion
                if cp.kind == "gap_phrase" and status != "not_documented":
                    continue                  # a topic ("work status") says something only as a gap
                if cp.kind == "negative_phrase" and status != "absent":
                    continue                  # a negative result ("the MRI found no herniation") only

                if cp.kind == "absent_phrase":
                    if status == "absent":
                        continue              # "not unable to work": a double negation says nothing
                    rank_key = status if status == "not_documented" else "absent_phrase"
                    status = "absent" if status == "present" else status
                else:
                    if status == "absent":
                        status = vocab.negated_status.get(cp.concept, "absent")
                    rank_key = status
                    if status == "absent" and (cp.concept in vocab.needs_sign or cp.concept in vocab.suspicion):
                        # an examination is many tests: a negative one does not undo a positive
                        # one ("positive straight leg raise" beats "negative Spurling")
                        rank_key = "absent_phrase"
                if cp.kind == "absent_phrase" and cp.concept in vocab.current and in_present(sent, m.start(), vocab):
                    rank_key = "absent"       # "back to its baseline" at today's visit: what holds now
                if cp.concept in vocab.systemic:
                    parts, side = [], None
                else:
                    cs, ce = clause_span(sent, m.start(), vocab)
                    parts, side = region(_places(sent, clean), clean, m.start(), m.end(), (cs, ce))
                    side = positive_side or side
                out.add(cp.concept, RANK[rank_key], status, evidence, parts, side)


def _named_tests(sent: Sentence, clean: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    """The spans of every named test in the sentence (any concept's `sign_phrases`), found once."""
    if sent.tests is None:
        sent.tests = sorted({(m.start(), m.end()) for cp in vocab.phrases if cp.kind == "sign_phrase"
                             for m in cp.gate.regex.finditer(clean)})
    return sent.tests


def _test_result(clean: str, start: int, end: int, results: list, status: str) -> tuple[str, str | None]:
    """The status a named test at [start, end) states, from the results near it, and the side of a
    positive result: the nearest result is the test's ("positive straight leg raise on the left
    and negative on the right"); a negative one still yields to a positive result of the other
    side ("negative on the right and positive on the left": a negative test does not undo a
    positive one)."""
    if not results:
        return status, None
    nearest = min(results)
    if nearest[2] == "positive":
        return "present", side_near(clean, nearest[3], nearest[4]) or side_near(clean, start, end)
    negative_side = side_near(clean, nearest[3], nearest[4])
    for result in sorted(r for r in results if r[2] == "positive"):
        side = side_near(clean, result[3], result[4])
        if side and negative_side and side != negative_side:
            return "present", side
    return "absent", None
