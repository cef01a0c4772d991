"""The context of a match in its sentence: the negation that governs it."""
from __future__ import annotations

from .sentences import Sentence, clean_text, sentence_index, sentence_words, word_count
from .vocabulary import Vocabulary


def sentence_cues(sent: Sentence, vocab: Vocabulary) -> dict:
    if sent.cues is None:
        text = clean_text(sent, vocab)
        words = sentence_words(sent)
        index = sentence_index(sent, vocab)
        sent.cues = {
            "nd": [(m.start(), m.end()) for m in vocab.nd_cue.finditer(text, words=words, index=index)],
            "absent": [(m.start(), m.end()) for m in vocab.absent_cue.finditer(text, words=words, index=index)],
            "breaks": [(m.start(), m.end()) for m in vocab.breaker.finditer(text, words=words, index=index)],
        }
    return sent.cues


def negation_of(sent: Sentence, start: int, end: int, vocab: Vocabulary) -> tuple[str | None, int]:
    """The negation governing the span [start, end) of a sentence: ("not_documented" | "absent"
    | None, offset where the governing cue starts, or `start`)."""
    text = clean_text(sent, vocab)
    cues = sentence_cues(sent, vocab)
    clause_start = 0
    clause_end = len(text)
    for b_start, b_end in cues["breaks"]:
        if b_end <= start:
            clause_start = max(clause_start, b_end)
        elif b_start >= end:
            clause_end = min(clause_end, b_start)
            break
    for c_start, c_end in cues["nd"]:
        if c_start >= clause_start and c_end <= start and word_count(text[c_end:start]) <= vocab.scope["not_documented"]:
            return "not_documented", c_start
    tail = text[end:clause_end]
    post = vocab.post_cue.search(tail, words=sentence_words(sent))
    if post is not None and word_count(tail[:post.start()]) > vocab.scope["post"]:
        post = None
    if post is not None and post.group("nd"):
        # "no exceptional factors noted within the documentation": a statement about the record
        return "not_documented", start
    for c_start, c_end in cues["absent"]:
        if c_start >= clause_start and c_end <= start and word_count(text[c_end:start]) <= vocab.scope["absent"]:
            return "absent", c_start
    if post is not None:
        return "absent", start
    return None, start
