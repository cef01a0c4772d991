"""The patient (age, sex) and the injury (date, mechanism, body parts)."""
from __future__ import annotations

import re

from .phrases import tokens
from .dates import DATE_RE, date_from
from .sentences import Seg, clean_text, sentence_at, sentence_evidence, sentence_kind, sentence_words, span_evidence
from .vocabulary import Vocabulary


_AGE_OLD = re.compile(r"(?<![\w.])(\d{1,3})\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b|(?<![\w.])(\d{1,3})\s*(?:y/o|yo)\b|\baged\s+(\d{1,3})\b")


_SLASHED = re.compile(r"\b(?:he|she|his|her|him|s)\s*/\s*(?:he|she|his|her|him)\b")


def read_patient(segs: list[Seg], text: str, vocab: Vocabulary) -> dict:
    patient: dict = {}
    for seg in segs:
        if "age" in patient:
            break
        for m in _AGE_OLD.finditer(seg.low):
            index = sentence_at(seg, m.start())
            if sentence_kind(seg, index, vocab) != "patient":
                continue
            value = int(next(g for g in m.groups() if g))
            if 10 <= value <= 110:
                patient["age"] = {"value": value,
                                  "evidence": span_evidence(seg, text, m.start(), m.end())}
                break
    # sex: an explicit word ("a 48 year old male") wins; then unambiguous pronouns
    words: dict[str, list] = {"male": [], "female": []}
    pronouns: dict[str, list] = {"male": [], "female": []}
    for seg in segs:
        for index, sent in enumerate(seg.sentences):
            sent_words = sentence_words(sent)
            if vocab.sex_words.could(sent_words, sent.text) and sentence_kind(seg, index, vocab) == "patient":
                for m in vocab.sex_words.finditer(sent.text, words=sent_words):
                    words[m.lastgroup].append((seg, sent.start, m))
        if words["male"] or words["female"]:
            break
    if not (words["male"] or words["female"]):
        # pronouns, from the sentences' word sets; "he/she", "his/her" are the letter's frame
        for seg in segs:
            for index, sent in enumerate(seg.sentences):
                sent_words = sentence_words(sent)
                if not vocab.sex_pronouns.could(sent_words, sent.text):
                    continue
                if "/" in sent.text:
                    sent_words = tokens(_SLASHED.sub(" ", sent.text))
                for sex in ("male", "female"):
                    if not vocab.pronoun_words[sex].isdisjoint(sent_words):
                        m = vocab.sex_pronouns.search(sent.text, words=sent_words)
                        if m is not None and m.lastgroup == sex:
                            pronouns[sex].append((seg, sent.start, m))
                        else:
                            pronouns[sex].append((seg, sent.start, None))
            if pronouns["male"] or pronouns["female"]:
                break
    choice = None
    for source in (words, pronouns):
        if source["male"] and not source["female"]:
            choice = ("male", source["male"][0])
        elif source["female"] and not source["male"]:
            choice = ("female", source["female"][0])
        if choice:
            break
    if choice is None and words["male"] and words["female"] and "age" in patient:
        # both words occur: take the one right after the age ("a 48 year old male")
        age_end = patient["age"]["evidence"]["end"]
        for sex in ("male", "female"):
            for seg, offset, m in words[sex]:
                if 0 <= seg.start + offset + m.start() - age_end <= 3:
                    choice = (sex, (seg, offset, m))
    if choice:
        sex, (seg, offset, m) = choice
        sent = seg.sentences[sentence_at(seg, offset)]
        lo, hi = (m.start(), m.end()) if m is not None else (0, 0)
        patient["sex"] = {"value": sex, "evidence": sentence_evidence(seg, sent, text, lo, hi)}
    return patient


def read_injury(segs: list[Seg], text: str, vocab: Vocabulary) -> dict:
    injury: dict = {}
    parts: list[str] = []
    for seg in segs:
        for index, sent in enumerate(seg.sentences):
            low = sent.text
            words = sentence_words(sent)
            date_cue = vocab.injury_date.search(low, words=words) if "date" not in injury else None
            mech_intro = vocab.mechanism_intro.search(low, words=words) if "mechanism" not in injury else None
            context = seg.name == "summary" and vocab.injury_context.search(low, words=words)
            if not (date_cue or mech_intro or context):
                continue
            if sentence_kind(seg, index, vocab) != "patient":
                continue
            clean = clean_text(sent, vocab)
            if date_cue:
                for cue in vocab.injury_date.finditer(clean, words=words):
                    if "date" in injury:
                        break
                    for dm in DATE_RE.finditer(clean, cue.end()):
                        if dm.start() - cue.end() > 60:
                            break
                        value = date_from(dm)
                        if value:
                            date_cue = cue
                            injury["date"] = {"value": value, "evidence": span_evidence(
                                seg, text, sent.start + cue.start(), sent.start + dm.end())}
                            break
            if "mechanism" not in injury:
                start = None
                if mech_intro:
                    start = mech_intro.end()
                elif date_cue:
                    after = vocab.mechanism_after.search(clean, date_cue.end(), words=words)
                    if after:
                        start = after.end()
                if start is not None:
                    end = len(clean.rstrip(" .\n"))
                    while start < end and clean[start] in " ,:":
                        start += 1
                    if end - start >= 3:
                        end = min(end, start + 160)
                        ev = span_evidence(seg, text, sent.start + start, sent.start + end)
                        injury["mechanism"] = {"value": ev["quote"], "evidence": ev}
            if context or date_cue:
                for bm in vocab.body_parts.finditer(clean, words=words):
                    part = vocab.body_names[bm.lastgroup]
                    if part not in parts:
                        parts.append(part)
    if parts:
        injury["body_parts"] = parts
    return injury


_OPENING_DATE = re.compile(r"\s*(?:on|as of)(?=\s+\d)")


def read_letter_dates(segs: list[Seg], text: str, vocab: Vocabulary) -> dict:
    """Dates that choose the guideline edition when the letter has no header block (the text
    seed letters): `ur_denial_date`, the utilization review decision the summary reports ("A
    Utilization Review determination was rendered on 6/12/2014"), and `latest_visit_date`, the
    latest dated visit or report ("the progress report dated 2/6/2015"). Each a date fact with
    evidence; a date after the letter's own dates cannot be told apart, so the latest is kept."""
    found: dict = {}
    for seg in segs:
        if seg.name != "summary":
            continue
        for index, sent in enumerate(seg.sentences):
            words = sentence_words(sent)
            ur = vocab.ur_date.could(words, sent.text)
            visit = vocab.visit_date.could(words, sent.text) or _OPENING_DATE.match(sent.text) is not None
            if not (ur or visit) or sentence_kind(seg, index, vocab) == "boilerplate":
                continue
            clean = clean_text(sent, vocab)
            for name, gate, wanted in (("ur_denial_date", vocab.ur_date, ur), ("latest_visit_date", vocab.visit_date, visit)):
                if not wanted:
                    continue
                cues = list(gate.finditer(clean, words=words))
                if name == "latest_visit_date":
                    opening = _OPENING_DATE.match(clean)
                    if opening:
                        cues.insert(0, opening)
                for cue in cues:
                    dm = next((d for d in DATE_RE.finditer(clean, cue.end()) if d.start() - cue.end() <= 40), None)
                    value = date_from(dm) if dm else None
                    if value is None:
                        continue
                    old = found.get(name)
                    if name == "ur_denial_date" and old is not None:
                        continue          # the first UR decision named is the one under review
                    if old is None or value > old["value"]:
                        found[name] = {"value": value, "evidence": span_evidence(
                            seg, text, sent.start + cue.start(), sent.start + dm.end())}
    return found
