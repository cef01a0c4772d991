"""The vocabularies rules may name: finding concepts, drug classes and generics, diagnosis
tags, body parts, modalities. Data under `rules/vocab/`; this module reads only the ids
(the phrases in the same files are extraction's business).

Input: the vocabulary folder. Output: `Vocabularies`. Raises `ErrorList` of `RuleError`s
naming the file and entry of each problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from . import yamlread
from .errors import ErrorList, RuleError
from .paths import vocab_dir
from .source import display_path

# vocabulary name -> file holding it (one `terms:` list each), besides the drug lexicon.
TERM_FILES = {
    "findings": "findings.yaml",
    "diagnosis_tag": "diagnosis_tags.yaml",
    "body_part": "body_parts.yaml",
    "modality": "modalities.yaml",
}


@dataclass(frozen=True)
class Vocabularies:
    terms: dict[str, dict[str, str]]            # vocabulary -> id -> meaning
    drug_classes: dict[str, str] = field(default_factory=dict)
    generics: dict[str, str] = field(default_factory=dict)       # generic -> class
    med_factors: dict[str, float] = field(default_factory=dict)  # generic -> morphine-equivalent factor
    med_steps: dict[str, tuple] = field(default_factory=dict)    # generic -> ((up to mg/day or None, factor), ...)

    def med_factor(self, generic: str, daily_mg: float):
        """The morphine-equivalent factor for a daily dose (methadone's grows with the dose)."""
        for upper, factor in self.med_steps.get(generic, ()):
            if upper is None or daily_mg <= upper:
                return factor
        return self.med_factors.get(generic)

    def ids(self, vocabulary: str) -> frozenset[str]:
        if vocabulary == "drug_class":
            return frozenset(self.drug_classes)
        if vocabulary == "generic":
            return frozenset(self.generics)
        return frozenset(self.terms.get(vocabulary, {}))

    @property
    def findings(self) -> dict[str, str]:
        return self.terms["findings"]


def _read(path: Path, errors: ErrorList):
    try:
        return yamlread.construct(*yamlread.compose(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        errors.add(RuleError(f"vocabulary file is missing", code="vocab_error", path=display_path(path)))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        errors.add(RuleError(f"not valid YAML{where}: {getattr(err, 'problem', err)}", code="yaml_syntax_error",
                             path=display_path(path)))
    return None


def _terms(path: Path, data, errors: ErrorList) -> dict[str, str]:
    out: dict[str, str] = {}
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list):
        errors.add(RuleError("expected a mapping with a `terms:` list", code="vocab_error", path=display_path(path)))
        return out
    for index, term in enumerate(terms):
        if not isinstance(term, dict) or not isinstance(term.get("id"), str) or not term["id"]:
            errors.add(RuleError(f"terms[{index}]: expected a mapping with a string `id`", code="vocab_error",
                                 path=display_path(path)))
            continue
        if term["id"] in out:
            errors.add(RuleError(f"terms[{index}]: duplicate id {term['id']!r}", code="vocab_error",
                                 path=display_path(path)))
        out[term["id"]] = str(term.get("meaning", ""))
    return out


def load_vocabularies(directory: Path | None = None) -> Vocabularies:
    """Read every vocabulary file in `directory` (default: the shipped one)."""
    directory = Path(directory) if directory else vocab_dir()
    errors = ErrorList()
    terms = {}
    for name, filename in TERM_FILES.items():
        data = _read(directory / filename, errors)
        terms[name] = _terms(directory / filename, data, errors) if data is not None else {}
    # More finding concepts may come in findings-<area>.yaml files, one per rule area.
    for extra in sorted(directory.glob("findings-*.yaml")):
        data = _read(extra, errors)
        if data is None:
            continue
        for concept, meaning in _terms(extra, data, errors).items():
            if concept in terms["findings"]:
                errors.add(RuleError(f"finding concept {concept!r} is already defined in another findings file",
                                     code="vocab_error", path=display_path(extra)))
            terms["findings"][concept] = meaning
    drugs_path = directory / "drugs.yaml"
    data = _read(drugs_path, errors) or {}
    classes: dict[str, str] = {}
    generics: dict[str, str] = {}
    factors: dict[str, float] = {}
    steps: dict[str, tuple] = {}
    for index, entry in enumerate(data.get("classes") or []):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            classes[entry["id"]] = str(entry.get("meaning", ""))
        else:
            errors.add(RuleError(f"classes[{index}]: expected a mapping with a string `id`", code="vocab_error",
                                 path=display_path(drugs_path)))
    for index, entry in enumerate(data.get("drugs") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("generic"), str):
            errors.add(RuleError(f"drugs[{index}]: expected a mapping with a string `generic`", code="vocab_error",
                                 path=display_path(drugs_path)))
            continue
        drug_class = entry.get("class")
        if drug_class not in classes:
            errors.add(RuleError(f"drugs[{index}] ({entry['generic']}): unknown class {drug_class!r}",
                                 code="vocab_error", path=display_path(drugs_path)))
        generics[entry["generic"]] = drug_class
        if entry.get("med_factor") is not None:
            factors[entry["generic"]] = float(entry["med_factor"])
        if entry.get("med_steps"):
            steps[entry["generic"]] = tuple((s.get("up_to_mg_per_day"), float(s["factor"])) for s in entry["med_steps"])
    if errors:
        raise errors
    return Vocabularies(terms=terms, drug_classes=classes, generics=generics, med_factors=factors, med_steps=steps)


@lru_cache(maxsize=1)
def default_vocabularies() -> Vocabularies:
    return load_vocabularies()
