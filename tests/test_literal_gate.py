"""engine/extraction/literal_gate.py: a regex skipped on text without the literal text it needs."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from engine.extraction import medications, pain, sentences, treatments
from engine.extraction import requests as request_parser
from engine.extraction.letter import parse_letter
from engine.extraction.literal_gate import Gated, required_literals
from engine.extraction.reader import read_letter

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("pattern, flags, needs", [
    (r"(?:\b(?:with|w/)\s*)?(?P<n>\d+|no)\s*refills?\b", re.I, ("refill",)),
    (r"\bcream\b|\bgel\b", 0, ("cream", "gel")),
    (r"(?:DOS|date of service):?\s*\d", 0, ("date of service", "dos")),
    (r"(?:optional)?\d+ tabs?", 0, (" tab",)),                 # an optional group imposes nothing
    (r"(?:abc)*\d+", 0, None),                                  # nor a repeat that may run zero times
    (r"x{2,}y", 0, ("x",)),                                     # a repeat that runs at least once does
    (r"\d+|mg", 0, None),                                       # a branch without a literal
    (r"\u212a\d", re.I, None),                                  # a non-ASCII literal is not used
    (r"caf\u00e9 au lait", 0, (" au lait",)),
])
def test_required_literals(pattern, flags, needs):
    assert required_literals(re.compile(pattern, flags)) == needs


def test_the_longest_requirement_is_kept():
    # "q" and "day" are both required: the longer one is the better test
    assert required_literals(re.compile(r"q\d+ ?(?:hours?|day)")) == ("day", "hour")
    assert required_literals(re.compile(r"\d+ x per day")) == (" x per day",)


def test_non_ascii_text_goes_to_the_regex():
    gated = Gated(re.compile(r"k\d", re.I))
    assert gated.needs == ("k",)
    assert gated.search("\u212a9") is not None           # the Kelvin sign matches k under IGNORECASE
    assert gated.search("no such thing 9") is None
    assert gated.cannot_match("no such thing 9") and not gated.cannot_match("\u212a9")


def _request_patterns() -> list[Gated]:
    out = []
    for value in vars(request_parser).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            out.extend(p for p in parts if isinstance(p, Gated))
    vocabulary = request_parser.load_request_vocabulary()
    out.append(vocabulary.retro)
    out.extend(p for p, _ in vocabulary.body_patterns)
    return out


def _item_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "examples" / "letters").glob("*.txt")):
        letter = parse_letter(read_letter(path), path=str(path))
        texts.extend(item.request for item in letter.items)
    return texts


def _letter_sentences() -> list[str]:
    out = []
    for path in sorted((ROOT / "examples" / "letters").glob("*.txt")):
        low = read_letter(path).lower()
        out.extend(low[s:e] for s, e in sentences.split_sentences(low))
    return out


def test_gated_fact_patterns_answer_as_the_plain_regex():
    patterns = [p for module in (pain, medications, treatments) for p in vars(module).values() if isinstance(p, Gated)]
    assert len(patterns) >= 5
    for gated in patterns:
        for text in _letter_sentences():
            assert [m.span() for m in gated.finditer(text)] == [m.span() for m in gated.regex.finditer(text)]
            got, want = gated.search(text), gated.regex.search(text)
            assert (got and got.span()) == (want and want.span()), (gated.pattern, text)


def test_gated_request_patterns_answer_as_the_plain_regex():
    patterns = _request_patterns()
    assert len(patterns) > 60 and sum(p.needs is not None for p in patterns) > 50
    rng = random.Random(11)
    pieces = _item_texts() + [n for p in patterns for n in (p.needs or ())] + [
        "10/325mg", "#120", "with 2 refills", "2 times a week for 6 weeks", "DOS: 8/4/15", "x 6", "q.i.d.",
        "REFILLS", "Day Supply", " ", ", ", "-", "\u00e9", "\u212a", "twice", "per day", "(6)", "lt knee"]
    texts = pieces + ["".join(rng.choice(pieces) + rng.choice(["", " ", ", "]) for _ in range(rng.randint(1, 6)))
                      for _ in range(1500)]
    skipped = 0
    for gated in patterns:
        for text in texts:
            want = [m.span() for m in gated.regex.finditer(text)]
            assert [m.span() for m in gated.finditer(text)] == want, (gated.pattern, text)
            got = gated.search(text)
            assert (got and got.span()) == (want[0] if want else None)
            skipped += gated.cannot_match(text)
    assert skipped > 10_000          # the gate does skip work


def test_the_request_parser_reads_the_same_with_and_without_gates(monkeypatch):
    texts = _item_texts() + ["Norco 10/325mg #120 with 2 refills DOS: 8/4/15", "Physical therapy 2 x 6 lumbar",
                             "Lidoderm 5% patch #30", "Acupuncture six (6) visits for the right knee"]
    gated = [request_parser.parse_request(t) for t in texts]
    monkeypatch.setattr(Gated, "cannot_match", lambda self, text: False)
    assert [request_parser.parse_request(t) for t in texts] == gated
