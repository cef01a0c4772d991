"""Randomized equivalence of the reader's fast paths with the plain reading: what a fast path
gives must be what the plain path gives, byte for byte.

- A reading for some finding concepts only (`extract_item_facts(..., concepts=...)`, what the
  audit's reason matching asks for) gives, for those concepts, the findings and set-aside
  statements of the full reading, and nothing else; the readers it skips can state none of
  them.
- Reason matching that reads only what its reasons look up matches as it does with the full
  reading of the rationale.

Texts: the contrast sets (tests/contrast), the seed letters' rationales, and the development
letters' rationales when the corpus is there.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from engine import case_from_dict, load_rules
from engine.audit.reasons import match_reasons, reviewer_statements
from engine.evaluator import decide_case, render
from engine.extraction import extract_case
from engine.extraction.facts import extract_item_facts
from engine.extraction.vocabulary import default_vocabulary

ROOT = Path(__file__).resolve().parents[1]
SEED_LETTERS = sorted((ROOT / "examples" / "letters").glob("*.txt"))
CANDIDATES = [ROOT.parent / "shared" / "corpus" / "dev-letters", Path("/work/shared/corpus/dev-letters")]
DEV = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
DEV_LETTERS = sorted(DEV.glob("*.pdf")) if DEV.is_dir() else []


def _contrast_texts() -> list[str]:
    texts = []
    for file in sorted((ROOT / "tests" / "contrast").glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def _rationales(paths) -> list[str]:
    out = []
    for path in paths:
        for item in extract_case(path)["reviewer"]["items"]:
            text = " ".join((item.get("rationale") or "").split())
            if text:
                out.append(text)
    return out


def _read(text: str, **options) -> dict:
    return extract_item_facts(text, [("rationale", 0, len(text))], **options)


def _restricted(full: dict, concepts: frozenset[str]) -> dict:
    """What a reading for `concepts` must give: the full reading's findings and set-aside
    statements of those concepts."""
    out = {}
    findings = {c: f for c, f in (full.get("findings") or {}).items() if c in concepts}
    if findings:
        out["findings"] = findings
    aside = [a for a in full.get("set_aside") or [] if a["concept"] in concepts]
    if aside:
        out["set_aside"] = aside
    return out


def _check_concept_readings(texts: list[str], seed: int) -> int:
    rng = random.Random(seed)
    every = sorted(default_vocabulary().concepts)
    checked = 0
    for text in texts:
        full = _read(text)
        stated = sorted(set(full.get("findings") or {}) | {a["concept"] for a in full.get("set_aside") or []})
        # each concept the text states alone (a skipped reader that could state it would show),
        # and random sets of stated and unstated ones
        choices = [frozenset({c}) for c in stated]
        for _ in range(2):
            size = rng.randint(0, 6)
            choices.append(frozenset(rng.sample(stated, min(len(stated), size)) + rng.sample(every, size)))
        for concepts in choices:
            with_drugs = rng.random() < 0.5
            got = _read(text, concepts=concepts, medications=with_drugs)
            expected = _restricted(full, concepts)
            if with_drugs:
                for key in ("medications", "first_use", "requested_drug_weeks"):
                    if key in full:
                        expected[key] = full[key]
            assert got == expected, (text, sorted(concepts))
            checked += 1
    return checked


def test_reading_some_concepts_equals_the_full_reading_on_the_contrast_sets():
    assert _check_concept_readings(_contrast_texts(), seed=16) > 2000


def test_reading_some_concepts_equals_the_full_reading_on_seed_rationales():
    texts = _rationales(SEED_LETTERS)
    assert len(texts) >= 5
    assert _check_concept_readings(texts, seed=17) > 20


@pytest.mark.skipif(not DEV_LETTERS, reason=f"dev corpus not found (looked in {', '.join(map(str, CANDIDATES))})")
def test_reading_some_concepts_equals_the_full_reading_on_dev_rationales():
    assert _check_concept_readings(_rationales(DEV_LETTERS), seed=18) > 500


def test_nothing_wanted_reads_nothing():
    text = "There is no documentation of functional improvement on Norco for over 6 months."
    assert _read(text, concepts=(), medications=False) == {}
    assert _read(text, concepts=("functional_improvement",), medications=False) == \
        _restricted(_read(text), frozenset({"functional_improvement"}))


def _reason_matching_is_unchanged(paths) -> int:
    rules = load_rules()
    checked = 0
    for path in paths:
        data = extract_case(path)
        requests = {r["id"]: r for r in data["requests"]}
        reviewer = {x["request_id"]: x for x in data["reviewer"]["items"]}
        for decided in decide_case(rules, case_from_dict(data)).requests:
            determination = render(decided)
            rationale = (reviewer.get(decided.request_id) or {}).get("rationale")
            generic = ((requests[decided.request_id].get("drug") or {}).get("generic"))
            fast = match_reasons(determination, rationale, generic)
            plain = match_reasons(determination, rationale, generic, statements=reviewer_statements(rationale))
            assert fast == plain, (path.name, decided.request_id)
            checked += bool(fast[0])
    return checked


def test_reason_matching_reads_what_it_needs_and_matches_the_same_on_seed_letters():
    assert _reason_matching_is_unchanged(SEED_LETTERS) >= 3


@pytest.mark.skipif(not DEV_LETTERS, reason=f"dev corpus not found (looked in {', '.join(map(str, CANDIDATES))})")
def test_reason_matching_reads_what_it_needs_and_matches_the_same_on_dev_letters():
    assert _reason_matching_is_unchanged(DEV_LETTERS) >= 100


# --------------------------------------------------------------------------- the phrase index

def _holds_every_required_set(phrase, words: set[str], text: str) -> bool:
    """The plain test: a word of every required set in `words` (`w*`: `w` somewhere in `text`)."""
    for options in phrase.required:
        if options.isdisjoint(words) and not any(o.endswith("*") and o[:-1] in text for o in options):
            return False
    return True


def _sentences_to_index() -> list[str]:
    from engine.extraction.sentences import split_sentences
    out = []
    for path in SEED_LETTERS:
        low = path.read_text(encoding="utf-8").lower()
        out.extend(low[s:e] for s, e in split_sentences(low))
    out.extend(text.lower() for text in _contrast_texts())
    return out


def test_the_phrase_index_gives_the_phrases_whose_required_sets_all_hold():
    from engine.extraction.phrases import tokens
    vocab = default_vocabulary()
    index, phrases = vocab.phrase_index, [cp.phrase for cp in vocab.phrases]
    rng = random.Random(19)
    concepts = sorted(vocab.concept_phrases)
    checked = 0
    for text in _sentences_to_index():
        words = tokens(text)
        plain = [i for i, ph in enumerate(phrases) if _holds_every_required_set(ph, words, text)]
        assert index.candidates(words, text) == plain, text
        assert index.candidates(words, text, index.prefixes_in(text)) == plain, text
        # some concepts only
        wanted = rng.sample(concepts, rng.randint(1, 5))
        some = index.restricted(tuple(sorted(i for concept in wanted for i in vocab.concept_phrases[concept])))
        assert some.candidates(words, text) == [i for i in plain if vocab.phrases[i].concept in wanted], text
        assert some.candidates(words, text, some.prefixes_in(text)) == \
            [i for i in plain if vocab.phrases[i].concept in wanted], text
        checked += len(plain)
    assert checked > 1000


def test_the_phrase_index_on_random_word_sets():
    # words drawn from the phrases' own required sets, so that most phrases are near holding
    vocab = default_vocabulary()
    index, phrases = vocab.phrase_index, [cp.phrase for cp in vocab.phrases]
    pool = sorted({w.rstrip("*") for ph in phrases for options in ph.required for w in options})
    rng = random.Random(20)
    held = 0
    for _ in range(3000):
        words = set(rng.sample(pool, rng.randint(1, 25)))
        text = " ".join(sorted(words) + [rng.choice(pool) + "s" for _ in range(3)])
        plain = [i for i, ph in enumerate(phrases) if _holds_every_required_set(ph, words, text)]
        assert index.candidates(words, text) == plain, sorted(words)
        held += len(plain)
    assert held > 100


def test_places_found_with_the_joined_pattern_check_are_those_found_without():
    import copy
    from engine.extraction.anatomy import default_anatomy
    anatomy = default_anatomy()
    assert anatomy.any_pattern is not None
    plain = copy.copy(anatomy)
    plain.any_pattern = None          # every pattern run on every text
    rng = random.Random(21)
    pieces = ["c5-6", "C5", "l4-l5", "L5-S1", "t12", "s1", "c7/t1", "L3", "the lumbar spine", "left knee", "c 5",
              "t1-2", "ct scan", "12", "3/5", "left", "right", "and", "at", "with", "no", "l", "s", "-", "/"]
    texts = _sentences_to_index()
    texts += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    found = 0
    for text in texts:
        assert anatomy.places(text) == plain.places(text), text
        found += len(plain.places(text))
    assert found > 1000


def test_sentence_ends_are_found_where_the_plain_pattern_finds_them():
    import re
    from engine.extraction.sentences import _SENT_END
    plain = re.compile(r"(?:[.!?][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c(\[]?[A-Z0-9#])|\n\s*\n)")
    rng = random.Random(22)
    pieces = [".", "!", "?", "\n", "\n\n", " ", "  \n ", '"', "'", "\u201d", "\u2019", ")", "]", "A", "a", "7", "#",
              "(", "[", "\u201c", "Dr", "pain", "e.g", "\t", "x"]
    texts = [path.read_text(encoding="utf-8") for path in SEED_LETTERS] + _contrast_texts()
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(20000)]
    ends = 0
    for text in texts:
        want = [m.span() for m in plain.finditer(text)]
        assert [m.span() for m in _SENT_END.finditer(text)] == want, text
        ends += len(want)
    assert ends > 10000
