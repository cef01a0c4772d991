"""The drug lexicon: brand and generic names, classes and morphine-equivalent factors.

Stage: vocabulary (used by extraction and by the request parser).
Input: `rules/vocab/drugs.yaml` (format in docs/lexicon.md).
Output: a `Lexicon` that maps any known spelling of a drug to its `Drug` (`lookup`) and finds
every drug named in free text (`find`).
Raises: `LexiconError` (a `ValueError`) naming the file and the entry for a malformed lexicon.

Matching works on word tokens (`#?[A-Za-z0-9]+`), so "Hydrocodone/APAP", "hydrocodone-apap"
and "HYDROCODONE APAP" are one name and a name never matches inside a longer word. `find` is a
single pass over the tokens of the text with a dictionary keyed by a name's first token: the
longest name starting at a token wins, and matches do not overlap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .paths import vocab_dir

__all__ = ["Drug", "Brand", "DrugMention", "Lexicon", "LexiconError", "load_lexicon", "name_key"]

ROUTES = frozenset({"oral", "topical", "transdermal", "injection", "nasal", "buccal", "sublingual", "inhaled",
                    "rectal"})

_TOKEN = re.compile(r"#?[A-Za-z0-9]+")
# What may stand between two tokens of one name in running text: spaces (line breaks included)
# and at most one joining character. A comma never joins ("hydrocodone, acetaminophen" lists two drugs).
_GAP = re.compile(r"\s*[/\-+&.]?\s*")


class LexiconError(ValueError):
    """A malformed drug lexicon. The message names the file and the entry."""


@dataclass(frozen=True)
class Drug:
    """One generic drug (or fixed combination) of the lexicon."""

    generic: str
    drug_class: str
    subclass: str | None = None
    route: str | None = None
    med_factor: float | None = None
    opioid_component: int | None = None
    brands: tuple[str, ...] = ()
    ingredients: tuple[str, ...] = ()          # generics a fixed combination contains
    med_steps: tuple[tuple[float | None, float], ...] = ()   # (up to mg/day or None, factor)
    two_part_strength: str | None = None       # generic meant when written "10/325"

    def mme_factor(self, daily_mg: float | None = None) -> float | None:
        """The morphine-equivalent factor, using the dose steps (methadone) when given."""
        if self.med_steps and daily_mg is not None:
            for upper, factor in self.med_steps:
                if upper is None or daily_mg <= upper:
                    return factor
        return self.med_factor


@dataclass(frozen=True)
class Brand:
    """A brand or product name with the facts it adds to its generic (form, compounding)."""

    name: str
    generic: str
    form: str | None = None
    compounded: bool = False
    subclass: str | None = None
    ingredients: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class DrugMention:
    """A drug named in a text: where, as what words, and which brand if a brand name matched."""

    drug: Drug
    start: int
    end: int
    matched: str
    brand: str | None = None


def name_key(name: str) -> str:
    """The normal form of a name: lowercase word tokens joined by one space."""
    return " ".join(t.lower() for t in _TOKEN.findall(name))


@dataclass(frozen=True)
class _Name:
    tokens: tuple[str, ...]
    generic: str
    brand: str | None          # canonical brand name when this is a brand
    kind: str                  # generic | brand | name | misspelling


class Lexicon:
    """Loaded drug lexicon. Build with `load_lexicon`."""

    def __init__(self, path: Path, classes: dict[str, str], drugs: dict[str, Drug],
                 brands: dict[str, Brand], names: dict[str, _Name]):
        self.path = path
        self.classes = classes
        self.drugs = drugs
        self.generics = frozenset(drugs)
        self._brands = brands                  # brand key -> Brand
        self._names = names                    # name key -> _Name
        index: dict[str, list[_Name]] = {}
        for entry in names.values():
            index.setdefault(entry.tokens[0], []).append(entry)
        for entries in index.values():
            entries.sort(key=lambda e: -len(e.tokens))
        self._index = index
        self._first_tokens = frozenset(index)

    def __len__(self) -> int:
        return len(self.drugs)

    def __contains__(self, name: str) -> bool:
        return name_key(name) in self._names

    @property
    def name_count(self) -> int:
        """How many distinct spellings (generics, brands, names, misspellings) the lexicon knows."""
        return len(self._names)

    def lookup(self, name: str) -> Drug | None:
        """The drug a whole name denotes ("Norco", "hydrocodone-APAP"), or None."""
        entry = self._names.get(name_key(name))
        return self.drugs[entry.generic] if entry else None

    def brand(self, name: str) -> Brand | None:
        """The brand or product a name denotes, with its own facts, or None if it is no brand."""
        entry = self._names.get(name_key(name))
        if entry is None or entry.brand is None:
            return None
        return self._brands.get(name_key(entry.brand))

    def is_misspelling(self, name: str) -> bool:
        entry = self._names.get(name_key(name))
        return bool(entry and entry.kind == "misspelling")

    def variant(self, generic: str, suffix: str) -> Drug | None:
        """The related entry "<generic> <suffix>" (e.g. "diclofenac topical"), if the lexicon has one."""
        return self.drugs.get(f"{generic} {suffix}")

    def find(self, text: str) -> list[DrugMention]:
        """Every drug named in `text`: whole words, longest name first, in order, not overlapping."""
        low = text.lower()
        if len(low) != len(text):        # a few characters change length when lowered
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        present = self._first_tokens.intersection(_free_tokens(low))
        if not present:
            return []
        # where the first words of names stand, as whole words ([a-z0-9] on neither side)
        starts: list[tuple[int, str]] = []
        for word in present:
            size = len(word)
            i = low.find(word)
            while i >= 0:
                end = i + size
                if (i == 0 or low[i - 1] not in _TOKEN_CHARS) and (end == len(low) or low[end] not in _TOKEN_CHARS):
                    starts.append((i, word))
                i = low.find(word, end)
        starts.sort()
        out: list[DrugMention] = []
        index = self._index
        last_end = 0
        for start, word in starts:
            if start < last_end:
                continue
            for cand in index[word]:
                end = start + len(word)
                for token in cand.tokens[1:]:
                    gap = _GAP.match(low, end)
                    nxt = _LOWER_TOKEN.match(low, gap.end())
                    if nxt is None or nxt.group() != token:
                        break
                    end = nxt.end()
                else:
                    out.append(DrugMention(self.drugs[cand.generic], start, end, text[start:end], cand.brand))
                    last_end = end
                    break
        return out


_LOWER_TOKEN = re.compile(r"#?[a-z0-9]+")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# ASCII text: every character that cannot be in a token becomes a space, so that split()
# gives the runs of [a-z0-9#] (a C loop, where a regex scan costs several times more)
_TOKEN_TABLE = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _TOKEN_CHARS and chr(c) != "#"})


def _free_tokens(low: str) -> list[str]:
    """The [a-z0-9]+ words of lower-cased `low` that do not follow a '#' ("#3" is a count, not a
    word), and for ASCII text also the '#'-led counts themselves ("#3"), which no name's first
    word is: the names' first words are looked for among these."""
    if not low.isascii():
        return [t for t in _LOWER_TOKEN.findall(low) if t[0] != "#"]
    if "#" in low:
        low = low.replace("#", " #")      # a '#' starts a new chunk: "norco#3" -> "norco", "#3"
    return low.translate(_TOKEN_TABLE).split()


def _fail(path: Path, where: str, message: str) -> LexiconError:
    return LexiconError(f"{path}: {where}: {message}")


def _str_list(path: Path, where: str, value, key: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(path, where, f"`{key}` must be a list")
    return value


def _build(path: Path, data) -> Lexicon:
    if not isinstance(data, dict) or not isinstance(data.get("classes"), list) or not isinstance(data.get("drugs"), list):
        raise LexiconError(f"{path}: expected a mapping with `classes:` and `drugs:` lists")
    classes: dict[str, str] = {}
    for i, entry in enumerate(data["classes"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise _fail(path, f"classes[{i}]", "expected a mapping with a string `id`")
        if entry["id"] in classes:
            raise _fail(path, f"classes[{i}]", f"duplicate class id {entry['id']!r}")
        classes[entry["id"]] = str(entry.get("meaning", ""))

    drugs: dict[str, Drug] = {}
    brands: dict[str, Brand] = {}
    names: dict[str, _Name] = {}
    pending_refs: list[tuple[str, str, str]] = []     # (where, field, generic)

    def add_name(where: str, raw, generic: str, brand: str | None, kind: str) -> None:
        if not isinstance(raw, str) or not raw.strip():
            raise _fail(path, where, f"a {kind} must be a non-empty string, got {raw!r}")
        key = name_key(raw)
        if not key:
            raise _fail(path, where, f"{kind} {raw!r} has no letters or digits")
        old = names.get(key)
        if old is not None:
            if old.generic != generic:
                raise _fail(path, where, f"name {raw!r} already means {old.generic!r}; a name may map to one generic only")
            if old.kind in ("generic", "brand") or kind not in ("generic", "brand"):
                return
        names[key] = _Name(tuple(key.split(" ")), generic, brand, kind)

    for i, entry in enumerate(data["drugs"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("generic"), str) or not entry["generic"].strip():
            raise _fail(path, f"drugs[{i}]", "expected a mapping with a string `generic`")
        generic = entry["generic"]
        where = f"drugs[{i}] ({generic})"
        if generic != generic.strip().lower():
            raise _fail(path, where, "`generic` must be lowercase without surrounding spaces")
        if generic in drugs:
            raise _fail(path, where, f"duplicate generic {generic!r}")
        unknown = set(entry) - {"generic", "class", "subclass", "route", "med_factor", "med_steps", "opioid_component",
                                "two_part_strength", "ingredients", "brands", "names", "misspellings"}
        if unknown:
            raise _fail(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
        drug_class = entry.get("class")
        if drug_class not in classes:
            raise _fail(path, where, f"unknown class {drug_class!r} (known: {', '.join(classes)})")
        route = entry.get("route")
        if route is not None and route not in ROUTES:
            raise _fail(path, where, f"unknown route {route!r} (known: {', '.join(sorted(ROUTES))})")
        factor = entry.get("med_factor")
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 0):
            raise _fail(path, where, f"`med_factor` must be a positive number or null, got {factor!r}")
        if factor is not None and drug_class != "opioid":
            raise _fail(path, where, "`med_factor` is for opioids only")
        component = entry.get("opioid_component")
        if component is not None and (isinstance(component, bool) or not isinstance(component, int) or component < 0):
            raise _fail(path, where, f"`opioid_component` must be an index (0, 1, ...), got {component!r}")
        steps = []
        for k, step in enumerate(_str_list(path, where, entry.get("med_steps"), "med_steps")):
            if not isinstance(step, dict) or not isinstance(step.get("factor"), (int, float)):
                raise _fail(path, where, f"med_steps[{k}] needs `up_to_mg_per_day` and a numeric `factor`")
            upper = step.get("up_to_mg_per_day")
            if upper is not None and not isinstance(upper, (int, float)):
                raise _fail(path, where, f"med_steps[{k}].up_to_mg_per_day must be a number or null")
            steps.append((upper, float(step["factor"])))
        ingredients = tuple(_str_list(path, where, entry.get("ingredients"), "ingredients"))
        for ing in ingredients:
            pending_refs.append((where, "ingredients", ing))
        two_part = entry.get("two_part_strength")
        if two_part is not None:
            pending_refs.append((where, "two_part_strength", two_part))

        brand_names: list[str] = []
        for k, raw in enumerate(_str_list(path, where, entry.get("brands"), "brands")):
            bwhere = f"{where} brands[{k}]"
            if isinstance(raw, dict):
                extra = set(raw) - {"name", "form", "compounded", "subclass", "ingredients", "note"}
                if extra or not isinstance(raw.get("name"), str):
                    raise _fail(path, bwhere, "a brand mapping needs `name` and may have form, compounded, subclass, ingredients, note")
                b_ings = tuple(_str_list(path, bwhere, raw.get("ingredients"), "ingredients"))
                for ing in b_ings:
                    pending_refs.append((bwhere, "ingredients", ing))
                brand = Brand(raw["name"], generic, raw.get("form"), bool(raw.get("compounded", False)),
                              raw.get("subclass"), b_ings, raw.get("note"))
            elif isinstance(raw, str):
                brand = Brand(raw, generic)
            else:
                raise _fail(path, bwhere, f"a brand must be a name or a mapping, got {raw!r}")
            add_name(bwhere, brand.name, generic, brand.name, "brand")
            brands[name_key(brand.name)] = brand
            brand_names.append(brand.name)
        add_name(where, generic, generic, None, "generic")
        for k, raw in enumerate(_str_list(path, where, entry.get("names"), "names")):
            add_name(f"{where} names[{k}]", raw, generic, None, "name")
        for k, raw in enumerate(_str_list(path, where, entry.get("misspellings"), "misspellings")):
            add_name(f"{where} misspellings[{k}]", raw, generic, None, "misspelling")
        drugs[generic] = Drug(
            generic=generic, drug_class=drug_class, subclass=entry.get("subclass"), route=route,
            med_factor=float(factor) if factor is not None else None, opioid_component=component,
            brands=tuple(brand_names), ingredients=ingredients, med_steps=tuple(steps), two_part_strength=two_part)

    for where, field_name, ref in pending_refs:
        if ref not in drugs:
            raise _fail(path, where, f"`{field_name}` names {ref!r}, which is not a generic of the lexicon")
    return Lexicon(path, classes, drugs, brands, names)


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load and check a drug lexicon; the shipped one (`rules/vocab/drugs.yaml`) is cached."""
    if path is None:
        return _default_lexicon()
    return _load(Path(path))


def _load(path: Path) -> Lexicon:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LexiconError(f"{path}: cannot read the drug lexicon: {err.strerror or err}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise LexiconError(f"{path}: {where}not valid YAML: {getattr(err, 'problem', err)}") from None
    return _build(path, data)


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    return _load(vocab_dir() / "drugs.yaml")
