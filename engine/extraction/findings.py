"""Finding concepts in a segment, each with its status (present, absent, not_documented)."""
from __future__ import annotations

from .context import negation_of
from .sentences import Seg, clean_text, sentence_evidence, sentence_index, sentence_kind, sentence_words
from .vocabulary import Vocabulary


# Statuses of a finding mention, strongest first within one extraction: a stated lack or a
# stated absence beats a positive mention (a reviewer who writes "no documentation of pain
# relief" after quoting the patient's report of relief is making the finding), and a positive
# mention beats an `absent_phrase` ("negative Spurling" does not undo "positive straight leg raise").
_RANK = {"absent": 4, "not_documented": 3, "present": 2, "absent_phrase": 1}


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


def read_findings(seg: Seg, text: str, vocab: Vocabulary, out: dict[str, tuple[int, dict]]) -> None:
    phrase_index = vocab.phrase_index
    prefixes = phrase_index.prefixes_in(seg.low)     # a sentence holds no prefix its segment lacks
    for index, sent in enumerate(seg.sentences):
        if not sent.text.strip():
            continue
        words = sentence_words(sent)
        candidates = phrase_index.candidates(words, sent.text, prefixes)
        if not candidates or sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        positions = sentence_index(sent, vocab)
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
                status, cue_at = negation_of(sent, m.start(), m.end(), vocab)
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
                           "evidence": sentence_evidence(seg, sent, text, min(cue_at, m.start()), m.end())}
                out[cp.concept] = (rank, finding)


def finish_findings(found: dict[str, tuple[int, dict]]) -> dict:
    return {concept: found[concept][1] for concept in sorted(found)}
