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
from .gates import Gate, TriggerIndex, alternation, gate_triggers, group_regex


@dataclass
class _ConceptPhrase:
    concept: str
    kind: str                  # "present" or "absent_phrase"
    phrase: Phrase
    gate: Gate
    required: tuple = ()       # the phrase's required word sets, each with its `w*` prefixes apart

    def __post_init__(self):
        self.required = tuple((options, tuple(o[:-1] for o in options if o.endswith("*")))
                              for options in self.phrase.required)


@dataclass
class Vocabulary:
    """The compiled extraction vocabulary (see `load_vocabulary`)."""

    concepts: dict[str, str]                       # id -> meaning
    negated_status: dict[str, str]                 # id -> status a plain negation gives
    phrases: list[_ConceptPhrase]
    phrase_index: TriggerIndex                    # which phrases a sentence's words allow
    phrase_order: list[int]                        # phrase index -> its place: absent phrases first
    scope: dict[str, int]
    nd_cue: Gate
    absent_cue: Gate
    post_cue: Gate                      # groups: nd, absent
    breaker: Gate
    guideline: Gate
    opener: re.Pattern[str]
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
    kinds: Gate                         # one group per treatment kind
    kind_names: dict[str, str]                     # group name -> kind
    dx_list: Gate
    dx_single: Gate
    dx_status_post: Gate
    dx_tags: list[tuple[str, Gate]]               # (tag, its phrases): a diagnosis may carry several
    dx_tag_index: TriggerIndex                    # which tags a diagnosis's words allow
    injury_date: Gate
    mechanism_intro: Gate
    mechanism_after: Gate
    injury_context: Gate
    body_parts: Gate
    body_names: dict[str, str]
    sex_words: Gate                     # groups: male, female
    sex_pronouns: Gate
    pronoun_words: dict[str, frozenset[str]]


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
            for kind, key in (("present", "phrases"), ("absent_phrase", "absent_phrases")):
                for text in term.get(key) or []:
                    try:
                        ph = compile_phrase(text)
                    except PhraseError as err:
                        raise PhraseError(f"{path}: {cid}.{key}: {err}") from None
                    phrases.append(_ConceptPhrase(cid, kind, ph, Gate(re.compile(ph.regex), [ph])))
    def group_map(mapping: dict[str, list[str]], prefix: str) -> tuple[Gate, dict[str, str]]:
        names = {f"{prefix}{_safe_name(key)}": key for key in mapping}
        regex = group_regex({name: mapping[key] for name, key in names.items()})
        return regex, names

    kinds, kind_names = group_map(neg["treatment_kinds"], "k_")
    dx_tags = [(t["id"], alternation(t["phrases"])) for t in tags["terms"] if t.get("phrases")]
    body, body_names = group_map(neg["body_parts"], "b_")

    def anchored(phrases_: list[str]) -> re.Pattern[str]:
        inner = alternation_source([compile_phrase(p).regex for p in phrases_])
        connective = r"(?:(?:in addition|additionally|furthermore|moreover|also|however|and|but)\s*,?\s*)?"
        return re.compile(r"\s*\W*" + connective + "(?:" + inner + ")")

    return Vocabulary(
        concepts=concepts, negated_status=negated, phrases=phrases,
        phrase_index=TriggerIndex([cp.phrase.triggers for cp in phrases]),
        phrase_order=[(cp.kind != "absent_phrase") * len(phrases) + i for i, cp in enumerate(phrases)],
        scope=dict(neg["scope_words"]),
        nd_cue=alternation(neg["not_documented"]),
        absent_cue=alternation(neg["absent"]),
        post_cue=group_regex({"nd": neg["post_not_documented"], "absent": neg["post_absent"]}),
        breaker=alternation(neg["scope_breakers"]),
        guideline=alternation(neg["guideline_cues"]),
        opener=anchored(neg["guideline_openers"]),
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
        kinds=kinds, kind_names=kind_names,
        dx_list=alternation(neg["diagnosis_intro"]["list"]),
        dx_single=alternation(neg["diagnosis_intro"]["single"]),
        dx_status_post=alternation(neg["diagnosis_status_post"]),
        dx_tags=dx_tags, dx_tag_index=TriggerIndex([gate_triggers(gate) for _, gate in dx_tags]),
        injury_date=alternation(neg["injury_date_cues"]),
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
