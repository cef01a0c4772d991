"""Diagnoses, with the tags rules read (neuropathic, radiculopathy, post_surgical, ...)."""
from __future__ import annotations

import re

from .anatomy import phrase_region
from .phrases import tokens
from .sentences import Seg, Sentence, clean_text, sentence_kind, sentence_words, span_evidence
from .treatments import JOINT
from .vocabulary import Vocabulary


def read_diagnoses(seg: Seg, text: str, vocab: Vocabulary, out: list[dict]) -> None:
    for index, sent in enumerate(seg.sentences):
        clean = sent.text
        words = sentence_words(sent)
        list_m = vocab.dx_list.search(clean, words=words)
        single_m = None if list_m else vocab.dx_single.search(clean, words=words)
        post_m = vocab.dx_status_post.search(clean, words=words)
        if not (list_m or single_m or post_m) or sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        covered: list[tuple[int, int]] = []
        cue = list_m or single_m
        if cue:
            body_start = cue.end()
            while body_start < len(clean) and clean[body_start] in " :\n":
                body_start += 1
            body = clean[body_start:].rstrip(" .\n")
            if body:
                if list_m:
                    if ";" in body:
                        parts = []
                        cursor = 0
                        for piece in body.split(";"):
                            parts.append((cursor, cursor + len(piece)))
                            cursor += len(piece) + 1
                    else:
                        parts = _split_commas(body)
                else:
                    parts = [(0, len(body))]
                for lo, hi in parts:
                    _add_diagnosis(seg, text, sent, vocab, body_start + lo, body_start + hi, out)
                covered.append((body_start, body_start + len(body)))
        if post_m and not any(a <= post_m.start() < b for a, b in covered):
            end = len(clean)
            stop = re.search(r"[;.]\s", clean[post_m.end():])
            if stop:
                end = post_m.end() + stop.start()
            _add_diagnosis(seg, text, sent, vocab, post_m.start(), end, out)


def _split_commas(body: str) -> list[tuple[int, int]]:
    parts = []
    depth = 0
    cursor = 0
    for i, ch in enumerate(body):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append((cursor, i))
            cursor = i + 1
    parts.append((cursor, len(body)))
    out = []
    for lo, hi in parts:
        lo = JOINT.match(body, lo).end()
        out.append((lo, hi))
    return out


def _add_diagnosis(seg: Seg, text: str, sent: Sentence, vocab: Vocabulary, lo: int, hi: int,
                   out: list[dict]) -> None:
    ev = span_evidence(seg, text, sent.start + lo, sent.start + hi)
    if len(ev["quote"]) < 3:
        return
    label = " ".join(ev["quote"].split()).rstrip(" .,;")
    tags = []
    label_low = label.lower()
    label_words = tokens(label_low)
    for i in vocab.dx_tag_index.candidates(label_words, label_low):
        tag, gate = vocab.dx_tags[i]
        if gate.search(label_low, words=label_words) is not None:
            tags.append(tag)
    # always a list, empty when no tag applies: a diagnosis without `tags` would make every tag
    # test unknown instead of false
    entry = {"text": label, "tags": tags}
    parts, side = phrase_region(label)
    if parts:
        entry["body_parts"] = parts
        if side:
            entry["side"] = side
    entry["evidence"] = ev
    if not any(d["text"].lower() == label.lower() for d in out):
        out.append(entry)
