"""Facts and findings, with evidence, from the text of an IMR letter.

Stage: extraction. Input: the normalised letter text and the segments to read, as
`(section, start, end)` offsets into it (`section` is "summary", "item" or "rationale").
Output: case parts in the form of `engine/schemas/case.schema.json`:

- `extract_facts(text, segments)` -> {"patient", "injury", "letter", "diagnoses", "medications",
  "treatments", "pain", "findings", "set_aside"} (only the keys something was found for), and
  "first_use": the drugs or drug classes the text says are new to the patient (the pipeline
  turns them into a request's `prior_use_weeks` of 0; not a case key);
- `extract_item_facts(text, segments)` -> {"findings", "set_aside", "medications", "first_use"}
  for one item's rationale.

Every value that can carry evidence carries {"section", "start", "end", "quote"} with
quote == text[start:end]. Raises nothing for odd text: a sentence that cannot be read yields no
fact. All trigger phrases, negation cues and context words are data (rules/vocab/findings.yaml,
diagnosis_tags.yaml, negation.yaml); this module is a general matcher over them:

1. a segment is split into sentences; guideline quotations (a quote opened in a sentence that
   cites a guideline) are blanked, keeping sentence ends;
2. boilerplate sentences and guideline sentences (docs/findings.md) are skipped; the reviewer's
   conclusions ("is not medically necessary", "Upheld", "the criteria ... were met") are blanked,
   so they can never make or change a fact;
3. concept phrases are looked up only in sentences holding one of their trigger words; a match
   gets its status from the negation cues in its clause (scope ends at a breaker).

The vocabularies are read and compiled once per process (first use); a call does no I/O.
"""
from __future__ import annotations

from .dates import DATE_RE, date_from
from .diagnoses import read_diagnoses
from .findings import Findings, read_findings
from .gates import clear_positions
from .phrases import tokens
from .medications import read_first_use, read_medications, requested_drug_use
from .pain import RESPONSE_CONCEPTS as PAIN_RESPONSE_CONCEPTS, finish_pain, read_pain, read_pain_response
from .patient import read_injury, read_letter_dates, read_patient
from .responses import CONCEPTS as RESPONSE_CONCEPTS, RELIEF_CONCEPTS, read_injection_relief, read_responses
from .sentences import Seg, Segment, prepare_segments
from .treatments import read_treatments
from .vocabulary import default_vocabulary, drug_lexicon, load_vocabulary

__all__ = ["extract_facts", "extract_item_facts", "load_vocabulary", "Segment"]


def _reference_date(segs: list[Seg]) -> str | None:
    """The latest full date in the text read: the 'now' of "since 2013"."""
    best = None
    for seg in segs:
        if "/" not in seg.raw and "-" not in seg.raw and "," not in seg.raw:
            continue
        for m in DATE_RE.finditer(seg.raw):
            value = date_from(m)
            if value and (best is None or value > best):
                best = value
    return best


def _lazy(compute):
    """A callable that computes its value on the first call only."""
    cell: list = []

    def value():
        if not cell:
            cell.append(compute())
        return cell[0]
    return value


def extract_facts(text: str, segments: list[Segment]) -> dict:
    """Case facts from the given segments of a letter (see the module docstring). Item-line
    segments are not read: they are the request, which the request parser owns."""
    clear_positions()
    vocab = default_vocabulary()
    segs = prepare_segments(text, [s for s in segments if s[0] != "item"], vocab)
    out: dict = {}
    if not segs:
        return out
    summary = [s for s in segs if s.name == "summary"] or segs
    patient = read_patient(summary + [s for s in segs if s not in summary], text, vocab)
    if patient:
        out["patient"] = patient
    injury = read_injury(summary + [s for s in segs if s not in summary], text, vocab)
    letter_dates = read_letter_dates(segs, text, vocab)
    if letter_dates:
        out["letter"] = letter_dates
    diagnoses: list[dict] = []
    medications: list[dict] = []
    planned: list[dict] = []
    first_use: list[dict] = []
    med_index: dict[str, int] = {}
    treatments: list[dict] = []
    pain: dict = {}
    found = Findings()
    ref_date = _lazy(lambda: _reference_date(segs))
    _set_now(segs, ref_date)
    for seg in segs:
        if seg.name == "summary":
            read_diagnoses(seg, text, vocab, diagnoses)
        read_medications(seg, text, vocab, seg.name == "rationale", ref_date, medications, med_index, planned)
        read_first_use(seg, text, vocab, first_use)
        read_treatments(seg, text, vocab, treatments)
        read_pain(seg, text, vocab, pain)
        read_findings(seg, text, vocab, found)
        read_responses(seg, text, vocab, found, treatments)
        read_pain_response(seg, text, vocab, found)
        read_injection_relief(seg, text, vocab, found)
    for diagnosis in diagnoses:
        label_low = diagnosis["text"].lower()
        for bm in vocab.body_parts.finditer(label_low, words=tokens(label_low)):
            part = vocab.body_names[bm.lastgroup]
            injury.setdefault("body_parts", [])
            if part not in injury["body_parts"]:
                injury["body_parts"].append(part)
    if injury:
        out["injury"] = injury
    if diagnoses:
        out["diagnoses"] = diagnoses
    if medications:
        out["medications"] = medications
    if treatments:
        out["treatments"] = treatments
    if pain:
        out["pain"] = finish_pain(pain)
    _derived(out.get("patient"), medications, planned, found)
    _finish(found, out)
    if first_use:
        out["first_use"] = first_use
    return out


# Drug classes that are a GI risk factor with an NSAID (MTUS CPMTG p. 68: concurrent aspirin,
# corticosteroids or an anticoagulant), and those that raise the risk of bleeding.
_GI_RISK_CLASSES = frozenset({"corticosteroid", "anticoagulant"})
_GI_RISK_GENERICS = frozenset({"aspirin"})
_BLEEDING_CLASSES = frozenset({"anticoagulant"})
_LOCAL_ROUTES = frozenset({"inhaled", "nasal", "topical", "transdermal"})
DERIVED_CONCEPTS = frozenset({"gi_risk_factor", "bleeding_risk", "opioid_started"})   # what _derived states
_READER_CONCEPTS = DERIVED_CONCEPTS | RESPONSE_CONCEPTS | PAIN_RESPONSE_CONCEPTS | RELIEF_CONCEPTS


def _derived(patient: dict | None, medications: list[dict], planned: list[dict], found: Findings) -> None:
    """Findings the case's own facts state: age over 65 and a current corticosteroid,
    anticoagulant or aspirin are GI risk factors; an anticoagulant is a bleeding risk; an opioid
    the plan adds is an opioid being started."""
    from .findings import RANK
    age = (patient or {}).get("age")
    if age and age["value"] > 65:
        found.add("gi_risk_factor", RANK["present"], "present", age["evidence"], [], None)
    lexicon = drug_lexicon()
    for med in medications:
        if med.get("status") == "past":
            continue
        drug = lexicon.drugs.get(med.get("generic")) if lexicon is not None else None
        if drug is not None and drug.route in _LOCAL_ROUTES:
            continue                      # an inhaled, nasal or topical steroid is not systemic use
        if med.get("drug_class") in _GI_RISK_CLASSES or med.get("generic") in _GI_RISK_GENERICS:
            found.add("gi_risk_factor", RANK["present"], "present", med["evidence"], [], None)
        if med.get("drug_class") in _BLEEDING_CLASSES:
            found.add("bleeding_risk", RANK["present"], "present", med["evidence"], [], None)
    for med in planned:
        if med.get("drug_class") == "opioid":
            found.add("opioid_started", RANK["present"], "present", med["evidence"], [], None)


def _set_now(segs: list[Seg], ref_date) -> None:
    """Each segment's "now": `ref_date`, a callable that finds it when first asked."""
    for seg in segs:
        seg.now = ref_date


def _finish(found: Findings, out: dict) -> None:
    findings = found.finish()
    if findings:
        out["findings"] = findings
    aside = found.aside_list()
    if aside:
        out["set_aside"] = aside


def extract_item_facts(text: str, segments: list[Segment], reference_date: str | None = None, *,
                       concepts=None, medications: bool = True) -> dict:
    """Findings and medication mentions (with durations) from one item's decision rationale, and
    `requested_drug_weeks` when the rationale gives how long "the requested medication" has been
    taken without naming it. `reference_date` (ISO) is the "now" a "since DATE" counts to (the
    pipeline gives the UR denial date); without it, the latest date in the rationale.

    For a reader that needs less (the audit's reason matching): `concepts`, the only finding
    concepts to read (None: all), and `medications=False`, no medications, first use or
    `requested_drug_weeks`. What is read is what the full reading gives for it; the readers
    that can state none of the wanted findings are skipped."""
    clear_positions()
    vocab = default_vocabulary()
    found = Findings(wanted=None if concepts is None else frozenset(concepts))
    read_drugs = medications or found.wants(DERIVED_CONCEPTS)
    if not (read_drugs or found.wants(vocab.phrase_concepts) or found.wants(_READER_CONCEPTS)):
        return {}
    segs = prepare_segments(text, [s for s in segments if s[0] != "item"], vocab)
    drugs: list[dict] = []
    planned: list[dict] = []
    first_use: list[dict] = []
    med_index: dict[str, int] = {}
    ref_date = (lambda: reference_date) if reference_date else _lazy(lambda: _reference_date(segs))
    _set_now(segs, ref_date)
    requested_use = None
    for seg in segs:
        read_findings(seg, text, vocab, found)
        if found.wants(RESPONSE_CONCEPTS):
            read_responses(seg, text, vocab, found, [])
        if found.wants(PAIN_RESPONSE_CONCEPTS):
            read_pain_response(seg, text, vocab, found)
        if found.wants(RELIEF_CONCEPTS):
            read_injection_relief(seg, text, vocab, found)
        if read_drugs:
            read_medications(seg, text, vocab, True, ref_date, drugs, med_index, planned)
        if medications:
            read_first_use(seg, text, vocab, first_use)
            if requested_use is None:
                requested_use = requested_drug_use(seg, text, vocab, ref_date)
    out: dict = {}
    _derived(None, drugs, planned, found)
    _finish(found, out)
    if drugs and medications:
        out["medications"] = drugs
    if first_use:
        out["first_use"] = first_use
    if requested_use is not None:
        out["requested_drug_weeks"] = requested_use
    return out
