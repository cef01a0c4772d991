"""Medications named in the text, with status (current, past) and how long they have been taken."""
from __future__ import annotations

import datetime as _dt
import re

from .literal_gate import Gated
from .context import assert_mention, clause_span, negation_of
from .dates import DATE_RE, MONTHS, MONTH_YEAR_RE, NUMBER_WORDS, YEAR_RE, date_from, parse_number, weeks_between
from .sentences import Seg, clean_text, sentence_at, sentence_drugs, sentence_evidence, sentence_kind, sentence_words, \
    span_evidence
from .vocabulary import Vocabulary, drug_lexicon


# A drug named as what a procedure delivers is not a medication the patient takes.
_PROCEDURE_AFTER = re.compile(r"\s*(?:injection|injections|injected|shot|shots|block|blocks|infiltration|infusion|"
                              r"infusions|iontophoresis)\b")

_DURATION_RE = Gated(re.compile(
    r"\bfor\s+(?:(?:over|more\s+than|at\s+least|approximately|about|nearly|almost|greater\s+than|roughly|"
    r"the\s+past|the\s+last|past|last|a\s+total\s+of|>)\s+)*"
    r"(?P<n>\d+(?:\.\d+)?|" + "|".join(w for w in NUMBER_WORDS if w not in ("several", "a few")) + r")"
    r"(?:\s*(?:-|to)\s*(?P<n2>\d+))?\s*(?P<unit>days?|weeks?|months?|years?)\b"
    r"|\bsince\s+(?:at\s+least\s+|about\s+|approximately\s+)?(?P<since>[a-z0-9/,\- ]{4,20})"))


def read_medications(seg: Seg, text: str, vocab: Vocabulary, rationale: bool, ref_date,
                 out: list[dict], index_by_key: dict[str, int], planned: list[dict] | None = None) -> None:
    """The drugs the patient takes or took, merged into `out`; the drugs a plan only adds go to
    `planned` (when given) as {name, generic, drug_class, evidence}, never to `out`."""
    lexicon = drug_lexicon()
    if lexicon is None:
        return
    mentions = lexicon.find(seg.raw)
    if not mentions:
        return
    by_sentence: dict[int, list] = {}
    for mention in mentions:
        by_sentence.setdefault(sentence_at(seg, mention.start), []).append(mention)
    for index, group in by_sentence.items():
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        sent = seg.sentences[index]
        clean = clean_text(sent, vocab)
        statuses = [(m.start(), m.lastgroup) for m in vocab.med_status.finditer(clean, words=sentence_words(sent))]
        durations = find_durations(clean, vocab, ref_date)
        local = [(mn.start - sent.start, mn.end - sent.start, mn) for mn in group]
        attached = _attach_durations(local, durations)
        for (lo, hi, mention), duration in zip(local, attached):
            if lo < 0 or hi > len(clean) or not clean[lo:hi].strip():
                continue
            if _PROCEDURE_AFTER.match(clean, hi) or _PROCEDURE_AFTER.search(clean, max(lo, hi - 14), hi):
                continue                  # "epidural steroid injection", "Toradol shot": a procedure (treatments)
            assertion = assert_mention(sent, lo, hi, vocab)
            if assertion.kind in ("negated", "lacking", "other", "hypothetical", "resolved"):
                continue
            status = _nearest_status(statuses, lo)
            if status == "skip":
                continue
            if assertion.kind == "planned" and status not in ("current", "past"):
                # a drug the plan adds is not one the patient takes
                if planned is not None:
                    planned.append({"name": mention.matched, "generic": mention.drug.generic,
                                    "drug_class": mention.drug.drug_class,
                                    "evidence": sentence_evidence(seg, sent, text, lo, hi)})
                continue
            if rationale and status not in ("current", "past") and duration is None:
                continue
            drug = mention.drug
            med: dict = {"name": mention.matched}
            if drug.generic:
                med["generic"] = drug.generic
            if drug.drug_class:
                med["drug_class"] = drug.drug_class
            if status in ("current", "past"):
                med["status"] = status
            ev = sentence_evidence(seg, sent, text, lo, hi)
            if duration is not None:
                weeks, since, d_lo, d_hi = duration
                d_ev = span_evidence(seg, text, sent.start + d_lo, sent.start + d_hi)
                if weeks is not None:
                    med["duration_weeks"] = {"value": weeks, "evidence": d_ev}
                if since is not None:
                    med["since"] = {"value": since, "evidence": d_ev}
            med["evidence"] = ev
            _merge_medication(out, index_by_key, med)


def find_durations(clean: str, vocab: Vocabulary, ref_date) -> list[tuple[int, int, float | None, str | None]]:
    """Durations in a sentence: (start, end, weeks or None, since-date or None). `ref_date` is
    a callable giving the date "since" counts to (computed only when needed)."""
    found = []
    if "for" not in clean and "since" not in clean:
        return found
    for m in _DURATION_RE.finditer(clean):
        if m.group("unit"):
            n = parse_number(m.group("n"))
            if n is None:
                continue
            unit = vocab.units.get(m.group("unit").lower())
            if unit is None:
                continue
            found.append((m.start(), m.end(), round(n * unit, 1), None))
            continue
        tail = m.group("since")
        date_m = DATE_RE.search(tail)
        if date_m and date_m.start() == 0:
            since = date_from(date_m)
            if since is None:
                continue
            weeks = weeks_between(since, ref_date())
            found.append((m.start(), m.start("since") + date_m.end(), weeks, since))
            continue
        month_m = MONTH_YEAR_RE.match(tail)
        if month_m and ref_date():
            # "since at least October 2016": at least from the last day of that month (a lower bound)
            month, year = MONTHS[month_m.group(1)[:3]], int(month_m.group(2))
            last = (_dt.date(year + (month == 12), month % 12 + 1, 1) - _dt.timedelta(days=1)).isoformat()
            weeks = weeks_between(last, ref_date())
            if weeks is not None:
                found.append((m.start(), m.start("since") + month_m.end(), weeks, None))
            continue
        year_m = YEAR_RE.match(tail)
        if year_m and ref_date():
            # "since 2013": at least from the last day of that year (a lower bound)
            weeks = weeks_between(f"{year_m.group(1)}-12-31", ref_date())
            if weeks is not None:
                found.append((m.start(), m.start("since") + year_m.end(), weeks, None))
    return found


def _attach_durations(local, durations):
    """Each duration goes to the nearest drug mention before it in the sentence ("on Norco for
    over 6 months"), or, with none before, to the first one after it."""
    attached = [None] * len(local)
    for d_lo, d_hi, weeks, since in durations:
        before = [i for i, (lo, hi, _) in enumerate(local) if hi <= d_lo]
        after = [i for i, (lo, hi, _) in enumerate(local) if lo >= d_hi]
        target = before[-1] if before else (after[0] if after else None)
        if target is not None and attached[target] is None:
            attached[target] = (weeks, since, d_lo, d_hi)
    return attached


def _nearest_status(statuses: list[tuple[int, str]], at: int) -> str | None:
    before = [label for pos, label in statuses if pos < at]
    if before:
        return before[-1]
    after = [label for pos, label in statuses if pos >= at]
    return after[0] if after else None


def _weeks_of(med: dict) -> float:
    value = med.get("duration_weeks")
    if isinstance(value, dict):
        return value.get("value") or 0
    return value or 0


def _merge_medication(out: list[dict], index_by_key: dict[str, int], med: dict) -> None:
    key = med.get("generic") or med["name"].lower()
    if key not in index_by_key:
        index_by_key[key] = len(out)
        out.append(med)
        return
    old = out[index_by_key[key]]
    if med.get("status") == "current" or (med.get("status") and not old.get("status")):
        old["status"] = med["status"]
    if _weeks_of(med) > _weeks_of(old):
        old["duration_weeks"] = med["duration_weeks"]
    if "since" in med and "since" not in old:
        old["since"] = med["since"]


_REQUESTED_DRUG = Gated(re.compile(r"\b(?:the|this|these|said)\s+(?:requested\s+|prescribed\s+|current\s+)?(?:medications?|drugs?)\b"))


def requested_drug_use(seg: Seg, text: str, vocab: Vocabulary, ref_date) -> dict | None:
    """How long the patient has taken the drug under review, when the rationale names it only as
    "the requested medication" ("has been using the requested medication since at least
    11/07/2016"): {value (weeks), evidence} or None."""
    for index, sent in enumerate(seg.sentences):
        if "since" not in sent.text and "for" not in sent.text:
            continue
        if not _REQUESTED_DRUG.search(sent.text) or sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        m = _REQUESTED_DRUG.search(clean)
        if m is None or negation_of(sent, m.start(), m.end(), vocab)[0] is not None:
            continue
        for d_lo, d_hi, weeks, _since in find_durations(clean, vocab, ref_date):
            if weeks is not None and d_lo >= m.end():
                return {"value": weeks, "evidence": span_evidence(seg, text, sent.start + d_lo, sent.start + d_hi)}
    return None


def read_first_use(seg: Seg, text: str, vocab: Vocabulary, out: list[dict]) -> None:
    """Drugs and drug classes the segment says are new to the patient, appended to `out` as
    {generic or drug_class, evidence}: a drug named with a `new` cue near it ("newly prescribed
    cyclobenzaprine", "started on Norco today"), or a drug or class word negated in a clause that
    says the patient never had it ("has not taken a muscle relaxant before", "never tried an
    NSAID", "no prior opioid use"). Planned, hypothetical and other people's drugs say nothing."""
    cues = vocab.first_use
    for index, sent in enumerate(seg.sentences):
        words = sentence_words(sent)
        if not (cues["new"].could(words, sent.text) or cues["never"].could(words, sent.text)):
            continue
        if sentence_kind(seg, index, vocab) != "patient":
            continue
        clean = clean_text(sent, vocab)
        mentions = [(m.start, m.end, m.drug.generic, m.drug.drug_class) for m in sentence_drugs(sent, vocab)]
        taken = [(a, b) for a, b, _, _ in mentions]
        for m in vocab.class_words.finditer(clean, words=words):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                mentions.append((m.start(), m.end(), None, vocab.class_word_names[m.lastgroup]))
        if not mentions:
            continue
        new = [(m.start(), m.end()) for m in cues["new"].finditer(clean, words=words)]
        never = [(m.start(), m.end()) for m in cues["never"].finditer(clean, words=words)
                 if clean[m.start():m.end()] != "before" or _CLAUSE_END.match(clean, m.end())]
        for lo, hi, generic, drug_class in sorted(mentions):
            assertion = assert_mention(sent, lo, hi, vocab)
            cs, ce = clause_span(sent, lo, vocab)
            near_new = any(cs <= a < ce and (abs(a - hi) < 60 or abs(lo - b) < 60) for a, b in new)
            if assertion.kind == "affirmed" and near_new or \
                    assertion.kind == "negated" and any(cs <= a < ce for a, _ in never):
                entry = {"generic": generic} if generic else {"drug_class": drug_class}
                entry["evidence"] = sentence_evidence(seg, sent, text, lo, hi)
                out.append(entry)


# "before" says "ever before" only at the end of its clause ("has not taken one before."), not
# in "before the visit"
_CLAUSE_END = re.compile(r"\s*(?:[.,;:)]|$)")
