"""Extraction: an IMR decision letter (.txt or .pdf) becomes a case.

    read_letter(path) -> str                      normalised text (evidence offsets refer to it)
    extract_case(path, mode="summary") -> dict     the case, valid under the case schema
    extract_text(text, *, source=None, mode="summary") -> dict
    read_text(text, section="summary") -> dict    the facts of any clinical passage
    LetterError(path, code, message)              a ValueError; codes letter_not_found,
                                                  letter_empty, letter_binary,
                                                  letter_unreadable, not_a_letter

Modules: `reader` (files and normalisation), `letter` (sections, items, outcomes,
guidelines), `pipeline` (the case). How it works: docs/extraction.md.
"""
from __future__ import annotations

from .letter import Citation, Item, Letter, parse_citation, parse_letter
from .pipeline import EXTRACTOR, MODES, build_case, extract_case, extract_text
from .reader import LetterError, normalise_text, read_letter
from .reading import read_text

__all__ = [
    "EXTRACTOR",
    "MODES",
    "Citation",
    "Item",
    "Letter",
    "LetterError",
    "build_case",
    "extract_case",
    "extract_text",
    "normalise_text",
    "parse_citation",
    "parse_letter",
    "read_letter",
    "read_text",
]
