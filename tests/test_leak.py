"""Honesty: the reviewer's outcome and conclusion never become facts.

- Deleting the outcome words and the conclusion ("is not medically necessary", "the
  criteria ... were met") from a seed letter changes no fact, in either mode.
- Swapping the outcome words (Upheld <-> Overturned) and inverting the conclusions changes
  no fact either; only `reviewer` changes.
- In summary mode the decision rationale is never read: rewriting every rationale changes
  no fact, and the fact extractor is never handed a span that overlaps a rationale.
- Even a fact extractor that would turn any verdict word it sees into a finding gets no
  chance: the pipeline cuts the verdict phrases out of every span it hands over.

"Facts" are the whole case except `reviewer` and `source`; evidence is compared by its
section and quote (deleting words moves the offsets of everything after them).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.extraction import extract_text, parse_letter, read_letter
from engine.extraction import pipeline

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "examples" / "letters").glob("*.txt"))
MODES = ("summary", "full")

# The conclusion as the reviewers write it; written here independently of the extractor's
# own phrase list so the test does not grade itself.
CONCLUSION = re.compile(
    r"(?i)\b(?:is|was|are|were)\s+(?:not\s+)?(?:considered\s+|indicated\s+as\s+|deemed\s+)?(?:not\s+)?"
    r"medically\s+necessary\b")
CRITERIA_MET = re.compile(r"(?i)[^.]*\bcriteria\b[^.]*\bwere\s+(?:not\s+)?met\.\s*")
OUTCOME = re.compile(r"(?i)\b(?:upheld|overturned)\b")


def delete_verdicts(raw: str) -> tuple[str, int]:
    count = 0
    for pattern, replacement in ((CRITERIA_MET, " "), (CONCLUSION, ""), (OUTCOME, "")):
        raw, n = pattern.subn(replacement, raw)
        count += n
    return raw, count


def swap_verdicts(raw: str) -> str:
    def outcome(match):
        word = match.group(0)
        other = "overturned" if word.lower() == "upheld" else "upheld"
        return other.upper() if word.isupper() else other.capitalize() if word[0].isupper() else other

    def conclusion(match):
        text = match.group(0)
        if re.search(r"(?i)\bnot\b", text):
            return re.sub(r"(?i)\s+not\b", "", text, count=1)
        return re.sub(r"(?i)^(is|was|are|were)\b", r"\1 not", text)

    raw = OUTCOME.sub(outcome, raw)
    raw = CONCLUSION.sub(conclusion, raw)
    return re.sub(r"(?i)\bwere\s+met\b", "were not met", raw)


def facts(case: dict) -> dict:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("start", "end")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip({k: v for k, v in case.items() if k not in ("reviewer", "source")})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_deleting_outcome_and_conclusion_changes_no_fact(seed, mode):
    raw = seed.read_text(encoding="utf-8")
    blind, deleted = delete_verdicts(raw)
    assert deleted >= 2 * len(parse_letter(read_letter(seed)).items)   # an outcome and a conclusion per item
    assert not OUTCOME.search(blind) and not CONCLUSION.search(blind)
    original = extract_text(raw, mode=mode)
    stripped = extract_text(blind, mode=mode, require_outcome=False)
    assert stripped["reviewer"]["items"] == []
    assert len(stripped["requests"]) == len(original["requests"])
    assert facts(stripped) == facts(original)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_swapping_outcome_and_conclusion_changes_no_fact(seed, mode):
    raw = seed.read_text(encoding="utf-8")
    original = extract_text(raw, mode=mode)
    swapped = extract_text(swap_verdicts(raw), mode=mode)
    flipped = {"upheld": "overturned", "overturned": "upheld"}
    assert [i["outcome"] for i in swapped["reviewer"]["items"]] == \
        [flipped[i["outcome"]] for i in original["reviewer"]["items"]]
    assert facts(swapped) == facts(original)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_summary_mode_never_reads_the_rationale(seed):
    text = read_letter(seed)
    letter = parse_letter(text)
    invented = ("There is no documentation of functional improvement. No aberrant behaviors were noted. "
                "Pain was 2/10 with medications and 9/10 without. The patient has taken Norco and Soma "
                "for 3 years. The urine drug screen was inconsistent. Physical therapy 24 visits.")
    rewritten = text
    for item in reversed(letter.items):
        rewritten = rewritten[:item.rationale.start] + invented + rewritten[item.rationale.end:]
    assert rewritten != text
    original = extract_text(text, mode="summary")
    changed = extract_text(rewritten, mode="summary")
    assert facts(changed) == facts(original)


# --------------------------------------------------------------------------- structural checks with stubs

VERDICT_WORDS = re.compile(r"(?i)medically\s+necessary|\bupheld\b|\boverturned\b|\bwere\s+met\b")


class Spy:
    """Fact extractors that record what they are given and would leak any verdict they saw."""

    def __init__(self):
        self.case_segments = []
        self.item_segments = []

    @staticmethod
    def _leaky(text, segments):
        findings = {}
        for name, start, end in segments:
            match = VERDICT_WORDS.search(text, start, end)
            if match:
                findings["verdict_leak"] = {"status": "present",
                                            "evidence": {"section": name, "start": match.start(),
                                                         "end": match.end(), "quote": match.group(0)}}
        return findings

    def extract_facts(self, text, segments):
        self.case_segments.append(list(segments))
        return {"findings": self._leaky(text, segments)}

    def extract_item_facts(self, text, segments, reference_date=None):
        self.item_segments.append(list(segments))
        return {"findings": self._leaky(text, segments), "medications": []}

    def parse_request(self, text, lexicon=None):
        return {"text": text, "kind": "other"}


@pytest.fixture
def spy(monkeypatch):
    spy = Spy()
    monkeypatch.setattr(pipeline, "_helpers", lambda: {"parse_request": spy.parse_request,
                                                       "extract_facts": spy.extract_facts,
                                                       "extract_item_facts": spy.extract_item_facts})
    return spy


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_summary_mode_hands_over_only_summary_and_item_lines(spy, seed):
    text = read_letter(seed)
    letter = parse_letter(text)
    case = extract_text(text, mode="summary")
    assert spy.item_segments == []                              # the item extractor is never called
    (segments,) = spy.case_segments
    summary = letter.sections["summary"]
    allowed = [summary] + [(item.start, item.end) for item in letter.items]
    rationales = [(item.rationale.start, item.rationale.end) for item in letter.items]
    assert segments
    for name, start, end in segments:
        assert name in ("summary", "item")
        assert any(s <= start and end <= e for s, e in allowed), (name, text[start:end])
        assert all(end <= s or start >= e for s, e in rationales)
    assert "verdict_leak" not in case.get("findings", {})
    assert all("findings" not in r for r in case["requests"])


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_full_mode_hands_over_each_rationale_without_its_verdict(spy, seed):
    text = read_letter(seed)
    letter = parse_letter(text)
    case = extract_text(text, mode="full")
    assert len(spy.item_segments) == len(letter.items)
    for item, segments in zip(letter.items, spy.item_segments):
        assert segments and all(name == "rationale" for name, _, _ in segments)
        assert all(item.rationale.start <= s and e <= item.rationale.end for _, s, e in segments)
        assert not any(VERDICT_WORDS.search(text, s, e) for _, s, e in segments)
        # everything else of the rationale is handed over
        kept = sum(e - s for _, s, e in segments)
        assert kept >= 0.8 * (item.rationale.end - item.rationale.start)
    assert "verdict_leak" not in case.get("findings", {})
    assert all("verdict_leak" not in r.get("findings", {}) for r in case["requests"])


def test_the_spy_would_catch_a_leak(monkeypatch):
    # Without the pipeline's cut the leaky extractor does report the verdict: the checks
    # above are not vacuous.
    text = read_letter(SEEDS[0])
    letter = parse_letter(text)
    item = letter.items[0]
    leaked = Spy._leaky(text, [("rationale", item.rationale.start, item.rationale.end)])
    assert "verdict_leak" in leaked
