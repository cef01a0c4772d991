"""The reader's faster ways of normalising a letter give exactly what the plain ones gave:
special characters replaced by a regex scan instead of `str.translate` with a dict, and the
case-number lines found from the places "case" occurs instead of a scan of the whole text under
IGNORECASE (engine/extraction/reader.py)."""
from __future__ import annotations

import random

from engine.extraction import reader as R

PIECES = ["Case Number: CM16-0221707", "IMR Case No. CM15-012345", "imr \n case # CM16-0000001", "case", "Case",
          "CASE NUMBER:CM16-1234567", "IMR  ", "\n", " ", "xcase", "Showcase number CM16-1234567",
          "IMR\nCase Number CM16-7654321", "é", "\u0130", "\u017f", "The case notes", "ca\u017fe number CM16-1111111",
          "IMR case", "Case #", "  CM16-1", "\u212a", "\t"]


def test_case_lines_are_where_finditer_finds_them():
    rng = random.Random(11)
    checked = 0
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))
        low = text.lower()
        for start in (0, 3, len(text) // 2):
            expected = [m.start() for m in R._CASE_LINE.finditer(text, start)]
            assert R._case_lines(text, low, start) == expected, (text, start)
            checked += bool(expected)
    assert checked > 500        # texts with matches were exercised, not only texts without


def test_special_characters_are_replaced_as_translate_did():
    rng = random.Random(12)
    alphabet = list(R._REPLACEMENTS) + list("abc XYZ\n-.'\"") + ["é", "ü", "\u4e2d"]
    for _ in range(2000):
        page = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert R._SPECIAL.sub(R._replace, page) == page.translate(R._TRANSLATE_AND_CONTROL)
