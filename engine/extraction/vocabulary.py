"""The extraction vocabulary, compiled once: finding concepts and their phrases, and the cues of
rules/vocab/negation.yaml and diagnosis_tags.yaml. `default_vocabulary()` is the shipped one,
compiled on first use; `load_vocabulary(folder)` compiles another.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..paths import vocab_dir
from .phrases import Phrase, PhraseError, alternation_source, compile_phrase
from .gates import Gate, PhraseIndex, TriggerIndex, alternation, gate_triggers, group_regex


@dataclass
class _ConceptPhrase:
    concept: str
    kind: str                  # "present", "absent_phrase", "symptom_phrase", "sign_phrase",
                               # "suspicion_phrase", "gap_phrase" or "negative_phrase" (findings.py)
    phrase: Phrase
    gate: Gate


@dataclass(frozen=True)
class TriggerList:
    """One list of context triggers of negation.yaml `context.triggers`."""

    cls: str                   # negated, lacking, hypothetical, other, planned, historical, present,
                               # reported, exam, suspected
    direction: str             # forward (governs what follows), backward (what precedes), both
    scope: int                 # at most this many words between the trigger and the mention
    gate: Gate
    not_before: tuple[str, ...] = ()    # not a trigger when the next word is one of these
    at_clause_start: int | None = None  # only within the first n words of its clause
    not_after: tuple[str, ...] = ()     # not a trigger when the word before is one of these


@dataclass
class ContextVocabulary:
    """negation.yaml `context`: what decides a mention's assertion (engine/extraction/context.py)."""

    precedence: tuple[str, ...]
    breaks: Gate
    terminators: Gate
    pseudo: Gate
    triggers: tuple[TriggerList, ...]
    trigger_index: TriggerIndex      # which trigger lists a sentence's words allow
    record_subjects: Gate            # a negated cue about these states a gap in the record
    result_context: Gate             # a lacking cue after these states a negative result
    anaphoric_resolution: Gate       # "it has since resolved": undoes the clause before
    sign_results: Gate               # a named test's positive result ("positive", "reproduced")
    sign_negative_results: Gate      # ... and its negative result ("without leg pain")


_TRIGGER_CLASSES = {"negated", "lacking", "hypothetical", "other", "planned", "historical", "present",
                    "reported", "exam", "suspected", "resolved"}
_DIRECTIONS = {"forward", "backward", "both"}


def _context(data, path: Path) -> ContextVocabulary:
    if not isinstance(data, dict) or not isinstance(data.get("triggers"), list):
        raise ValueError(f"{path}: `context` must be a mapping with a `triggers:` list")
    lists = []
    for index, entry in enumerate(data["triggers"]):
        where = f"{path}: context.triggers[{index}]"
        if not isinstance(entry, dict) or entry.get("class") not in _TRIGGER_CLASSES:
            raise ValueError(f"{where}: `class` must be one of {', '.join(sorted(_TRIGGER_CLASSES))}")
        if entry.get("direction") not in _DIRECTIONS:
            raise ValueError(f"{where}: `direction` must be forward, backward or both")
        try:
            gate = alternation(list(entry.get("phrases") or []))
        except PhraseError as err:
            raise PhraseError(f"{where}: {err}") from None
        lists.append(TriggerList(entry["class"], entry["direction"], int(entry.get("scope", 8)), gate,
                                 tuple(entry.get("unless_followed_by") or ()), entry.get("at_clause_start"),
                                 tuple(entry.get("unless_preceded_by") or ())))
    precedence = tuple(data.get("precedence") or ())
    unknown = set(precedence) - _TRIGGER_CLASSES
    if unknown:
        raise ValueError(f"{path}: context.precedence names unknown classes {sorted(unknown)}")
    return ContextVocabulary(precedence=precedence, breaks=alternation(data.get("clause_breaks") or []),
                             terminators=alternation(data.get("terminators") or []),
                             pseudo=alternation(data.get("pseudo") or []), triggers=tuple(lists),
                             trigger_index=TriggerIndex([gate_triggers(tl.gate) for tl in lists]),
                             record_subjects=alternation(data.get("record_subjects") or []),
                             result_context=alternation(data.get("result_context") or []),
                             anaphoric_resolution=alternation(data.get("anaphoric_resolution") or []),
                             sign_results=alternation(data.get("sign_results") or []),
                             sign_negative_results=alternation(data.get("sign_negative_results") or []))


@dataclass
class Vocabulary:
    """The compiled extraction vocabulary (see `load_vocabulary`)."""

    concepts: dict[str, str]                       # id -> meaning
    negated_status: dict[str, str]                 # id -> status a plain negation gives
    needs_sign: frozenset[str]                     # concepts a reported symptom does not satisfy
    current: frozenset[str]                        # concepts about the present (the past is not them)
    plans: frozenset[str]                          # concepts a plan or an order states (surgery_planned)
    suspicion: frozenset[str]                      # concepts a suspicion states (fracture_suspected)
    systemic: frozenset[str]                       # concepts about the whole patient: no body part
    phrases: list[_ConceptPhrase]                  # absent phrases first, then in the files' order
    phrase_concepts: frozenset[str]                # the concepts that have phrases
    phrase_index: PhraseIndex                      # which phrases a sentence's words allow
    concept_phrases: dict[str, tuple[int, ...]]    # concept -> the indexes of its phrases
    context: ContextVocabulary
    nd_cue: Gate                                   # the forward `lacking` triggers
    guideline: Gate
    patient_anchor: Gate                # in a guideline sentence, where the patient's part starts
    opener: re.Pattern[str]
    opener_event: re.Pattern[str]        # a past event right after an opener: the patient's history
    continuation: re.Pattern[str]
    finite_verb: Gate
    enumeration: re.Pattern[str]
    conclusion: Gate
    boilerplate: Gate
    med_status: Gate                    # groups: skip, current, past, mention
    pain_qualifier: Gate                # groups: without_meds, with_meds, least, average, after, before
    units: dict[str, float]
    history: Gate
    not_history: Gate                   # request / plan cues: what follows was not given
    study_result: Gate                  # a study's result or date: the study was done
    study_kinds: Gate                   # the imaging and electrodiagnostic kind phrases
    response: dict[str, Gate]           # treatment_response: courses, improved, not_improved, worse, not_attended
    class_words: Gate                    # treatment_response.drug_classes: one group per class
    class_word_names: dict[str, str]     # group name -> drug class id
    first_use: dict[str, Gate]           # treatment_response.first_use: new, never
    kinds: Gate                         # one group per treatment kind
    kind_names: dict[str, str]                     # group name -> kind
    dx_list: Gate
    dx_single: Gate
    dx_status_post: Gate
    dx_tags: list[tuple[str, Gate]]               # (tag, its phrases): a diagnosis may carry several
    dx_tag_index: TriggerIndex                    # which tags a diagnosis's words allow
    injury_date: Gate
    ur_date: Gate                      # a utilization review decision's date follows
    visit_date: Gate                   # a dated visit or report follows
    mechanism_intro: Gate
    mechanism_after: Gate
    injury_context: Gate
    body_parts: Gate
    body_names: dict[str, str]
    sex_words: Gate                     # groups: male, female
    sex_pronouns: Gate
    pronoun_words: dict[str, frozenset[str]]


def _concept_phrases(phrases: list[_ConceptPhrase]) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for index, cp in enumerate(phrases):
        found.setdefault(cp.concept, []).append(index)
    return {concept: tuple(indexes) for concept, indexes in found.items()}


def _safe_name(value: str) -> str:
    return re.sub(r"\W", "_", value)


def _read_yaml(path: Path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """Read findings.yaml (and the findings-<area>.yaml files beside it, merged as engine.vocab
    merges them), diagnosis_tags.yaml and negation.yaml from `directory` (default: the shipped
    vocabularies) and compile them. Raises `PhraseError` naming the file, the concept and the bad
    phrase, and `ValueError` for a file of the wrong shape."""
    directory = Path(directory) if directory else vocab_dir()
    tags = _read_yaml(directory / "diagnosis_tags.yaml")
    neg = _read_yaml(directory / "negation.yaml")

    concepts: dict[str, str] = {}
    negated: dict[str, str] = {}
    flags: dict[str, set[str]] = {"needs_sign": set(), "current": set(), "plans": set(), "suspicion": set(),
                                  "systemic": set()}
    phrases: list[_ConceptPhrase] = []
    for path in [directory / "findings.yaml"] + sorted(directory.glob("findings-*.yaml")):
        findings = _read_yaml(path)
        if not isinstance(findings, dict) or not isinstance(findings.get("terms"), list):
            raise ValueError(f"{path}: expected a mapping with a `terms:` list")
        for term in findings["terms"]:
            cid = term["id"]
            if cid in concepts:
                raise ValueError(f"{path}: finding concept {cid!r} is defined twice")
            concepts[cid] = term.get("meaning", "")
            if term.get("negated_status"):
                negated[cid] = term["negated_status"]
            if term.get("needs") == "sign":
                flags["needs_sign"].add(cid)
            if term.get("time") == "current":
                flags["current"].add(cid)
            if term.get("plans"):
                flags["plans"].add(cid)
            if term.get("suspicion"):
                flags["suspicion"].add(cid)
            if term.get("regional") is False:
                flags["systemic"].add(cid)
            for kind, key in (("present", "phrases"), ("absent_phrase", "absent_phrases"),
                              ("symptom_phrase", "symptom_phrases"), ("sign_phrase", "sign_phrases"),
                              ("suspicion_phrase", "suspicion_phrases"), ("gap_phrase", "gap_phrases"),
                              ("negative_phrase", "negative_phrases")):
                for text in term.get(key) or []:
                    try:
                        ph = compile_phrase(text)
                    except PhraseError as err:
                        raise PhraseError(f"{path}: {cid}.{key}: {err}") from None
                    phrases.append(_ConceptPhrase(cid, kind, ph, Gate(re.compile(ph.regex), [ph])))
    # absent phrases are tried first in a sentence ("inadequate pain relief" is not a mention
    # of pain relief): they come first in the list, the rest in the vocabulary's order
    phrases.sort(key=lambda cp: cp.kind != "absent_phrase")

    def group_map(mapping: dict[str, list[str]], prefix: str) -> tuple[Gate, dict[str, str]]:
        names = {f"{prefix}{_safe_name(key)}": key for key in mapping}
        regex = group_regex({name: mapping[key] for name, key in names.items()})
        return regex, names

    kinds, kind_names = group_map(neg["treatment_kinds"], "k_")
    class_words, class_word_names = group_map(neg["treatment_response"]["drug_classes"], "c_")
    dx_tags = [(t["id"], alternation(t["phrases"])) for t in tags["terms"] if t.get("phrases")]
    body, body_names = group_map(neg["body_parts"], "b_")

    def anchored(phrases_: list[str]) -> re.Pattern[str]:
        inner = alternation_source([compile_phrase(p).regex for p in phrases_])
        connective = r"(?:(?:in addition|additionally|furthermore|moreover|also|however|and|but)\s*,?\s*)?"
        return re.compile(r"\s*\W*" + connective + "(?:" + inner + ")")

    context = _context(neg.get("context"), directory / "negation.yaml")
    lacking = [p for entry in neg["context"]["triggers"] if entry["class"] == "lacking"
               and entry["direction"] == "forward" for p in entry.get("phrases") or []]
    return Vocabulary(
        concepts=concepts, negated_status=negated,
        needs_sign=frozenset(flags["needs_sign"]), current=frozenset(flags["current"]),
        plans=frozenset(flags["plans"]), suspicion=frozenset(flags["suspicion"]),
        systemic=frozenset(flags["systemic"]), phrases=phrases,
        phrase_concepts=frozenset(cp.concept for cp in phrases),
        phrase_index=PhraseIndex([cp.phrase for cp in phrases]),
        concept_phrases=_concept_phrases(phrases),
        context=context,
        nd_cue=alternation(lacking),
        guideline=alternation(neg["guideline_cues"]),
        patient_anchor=alternation(neg.get("patient_anchors") or []),
        opener=anchored(neg["guideline_openers"]),
        opener_event=re.compile(r"(?:\s*(?:,|and|or)\s*[\w-]+(?:\s+[\w-]+)?){0,3}\s*(?:" + alternation_source([compile_phrase(p).regex for p in neg["guideline_opener_events"]]) + ")"),
        continuation=anchored(neg["guideline_continuation"]),
        finite_verb=alternation(neg["finite_verbs"]),
        enumeration=re.compile(neg["enumeration_regex"]),
        conclusion=alternation(neg["conclusions"]),
        boilerplate=alternation(neg["boilerplate"]),
        med_status=group_regex(neg["medication_status"]),
        pain_qualifier=group_regex(neg["pain_qualifiers"]),
        units={k: float(v) for k, v in neg["duration_units"].items()},
        history=alternation(neg["treatment_history"]),
        not_history=alternation(neg["treatment_not_history"]),
        study_result=alternation(neg["study_result"]),
        study_kinds=alternation([p for k in ("imaging", "electrodiagnostic") for p in neg["treatment_kinds"].get(k, [])]),
        response={name: alternation(neg["treatment_response"][name])
                  for name in ("courses", "improved", "not_improved", "worse", "not_attended")},
        kinds=kinds, kind_names=kind_names,
        class_words=class_words, class_word_names=class_word_names,
        first_use={name: alternation(neg["treatment_response"]["first_use"][name]) for name in ("new", "never")},
        dx_list=alternation(neg["diagnosis_intro"]["list"]),
        dx_single=alternation(neg["diagnosis_intro"]["single"]),
        dx_status_post=alternation(neg["diagnosis_status_post"]),
        dx_tags=dx_tags, dx_tag_index=TriggerIndex([gate_triggers(gate) for _, gate in dx_tags]),
        injury_date=alternation(neg["injury_date_cues"]),
        ur_date=alternation(neg["ur_date_cues"]), visit_date=alternation(neg["visit_date_cues"]),
        mechanism_intro=alternation(neg["mechanism_intro"]),
        mechanism_after=alternation(neg["mechanism_after_injury"]),
        injury_context=alternation(neg["injury_context"]),
        body_parts=body, body_names=body_names,
        sex_words=group_regex(neg["sex_words"]),
        sex_pronouns=group_regex(neg["sex_pronouns"]),
        pronoun_words={k: frozenset(w.lower() for w in v) for k, v in neg["sex_pronouns"].items()},
    )


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return load_vocabulary()


@lru_cache(maxsize=1)
def drug_lexicon():
    try:
        from ..lexicon import load_lexicon
    except ImportError:  # pragma: no cover - the lexicon ships with the package
        return None
    return load_lexicon()
