"""Where the package finds its data: rule packs, vocabularies, schemas and the grammar.

In a source checkout or an editable install the rules live in the top-level `rules/`
folder; a regular install carries the same files as the package `engine._rules`.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"


def rules_dir() -> Path:
    """The folder holding the shipped rule packs and vocabularies."""
    installed = PACKAGE_DIR / "_rules"
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / "rules"


def vocab_dir() -> Path:
    """The folder holding the vocabularies (findings, drugs, tags, body parts)."""
    return rules_dir() / "vocab"
